package dev.spillway.proxy.state;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Which account holds an object (a response, file, batch, vector store, conversation): learned
 * from the answer that created it, so that later requests naming it go there. A hint, never the
 * truth: an object created elsewhere (another replica, before a restart) is simply not here, and
 * the proxy then looks it up at the accounts. So an implementation may forget entries whenever it
 * likes; the shared-state issue puts the same interface on Redis so that replicas share what each
 * learned.
 */
public interface ObjectHomes {

    /** The name of the backend that holds the object, if known here. */
    Optional<String> homeOf(String objectId);

    /**
     * As {@link #homeOf}, and when it is not known here, what the other replicas learned: an
     * object created through one replica is found through any other without asking the accounts.
     */
    default CompletionStage<Optional<String>> find(String objectId) {
        return CompletableFuture.completedFuture(homeOf(objectId));
    }

    /** The object lives in this backend's account. */
    void remember(String objectId, String backend);

    /** The object was deleted (a later lookup must not be sent to its old home on faith). */
    void forget(String objectId);

    /** Entries held now, for the status page and metrics. */
    long size();
}
