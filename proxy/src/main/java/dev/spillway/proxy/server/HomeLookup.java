package dev.spillway.proxy.server;

import dev.spillway.proxy.forward.Forwarder;
import dev.spillway.proxy.forward.UpstreamRequest;
import dev.spillway.proxy.forward.UpstreamResult;
import dev.spillway.proxy.route.Endpoint;
import dev.spillway.proxy.route.ObjectAffinity;
import dev.spillway.proxy.route.ObjectRef;
import dev.spillway.proxy.route.Router;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * Finds which account holds an object the proxy does not remember (it was created before a restart,
 * through another replica, or directly at the account): asks every account at once with a GET of
 * the object, which changes nothing and costs no tokens, and takes the first that has it. So no
 * shared database is needed; a miss costs one lookup per account and one round trip of latency.
 */
final class HomeLookup {

    /** How a lookup ended. */
    sealed interface Outcome {
        /** This backend holds the object. */
        record Home(String backend) implements Outcome {}

        /** Every account said it has no such object; this is one of their answers, still to be relayed or discarded. */
        record Nowhere(UpstreamResult.Response answer, String backend) implements Outcome {}

        /**
         * None said it holds the object, and these could not tell (throttled, failing, unreachable).
         *
         * @param retryAfterMillis how long the throttled ones asked to wait; 0 when none said
         */
        record Unreachable(List<String> backends, long retryAfterMillis) implements Outcome {}
    }

    private static final HttpFields LOOKUP_HEADERS = HttpFields.build().put(HttpHeader.ACCEPT, "application/json").asImmutable();

    private final Router router;
    private final Forwarder forwarder;

    HomeLookup(Router router, Forwarder forwarder) {
        this.router = router;
        this.forwarder = forwarder;
    }

    /** {@code outcome} is told once, on the thread of the answer that decided. */
    void find(ObjectAffinity affinity, ObjectRef ref, Consumer<Outcome> outcome) {
        UpstreamRequest lookup = new UpstreamRequest("GET", URI.create(affinity.lookupPath(ref)), LOOKUP_HEADERS, new byte[0]);
        List<Endpoint> accounts = router.cluster().endpoints("");
        Round round = new Round(accounts.size(), outcome);
        for (Endpoint account : accounts) {
            forwarder.send(account, lookup, result -> round.answered(account.backend().name(), result));
        }
    }

    /** The answers to one lookup, as they come. */
    private final class Round {
        private final Consumer<Outcome> outcome;
        private int pending;
        private boolean decided;
        private UpstreamResult.Response notFound;
        private String notFoundBackend;
        private final List<String> unreachable = new ArrayList<>(0);
        private long retryAfterMillis;

        Round(int accounts, Consumer<Outcome> outcome) {
            this.pending = accounts;
            this.outcome = outcome;
        }

        void answered(String backend, UpstreamResult result) {
            Outcome decision = null;
            synchronized (this) {
                pending--;
                if (result instanceof UpstreamResult.Response response) {
                    int status = response.status();
                    if (!decided && status >= 200 && status < 300) {
                        decided = true;
                        decision = new Outcome.Home(backend);
                        response.discard();
                    } else if (!decided && notFound == null && definitelyNotHere(status)) {
                        notFound = response;
                        notFoundBackend = backend;
                    } else {
                        if (!definitelyNotHere(status) && !(status >= 200 && status < 300)) {
                            unreachable.add(backend);
                            if (status == 429) {
                                retryAfterMillis = Math.max(retryAfterMillis, router.retryAfter(response::header).toMillis());
                            }
                        }
                        response.discard();
                    }
                } else {
                    unreachable.add(backend);
                }
                if (pending == 0 && !decided) {
                    decided = true;
                    if (unreachable.isEmpty() && notFound != null) {
                        decision = new Outcome.Nowhere(notFound, notFoundBackend);
                        notFound = null;
                    } else {
                        decision = new Outcome.Unreachable(List.copyOf(unreachable), retryAfterMillis);
                    }
                }
                if (decided && notFound != null && decision instanceof Outcome.Home) {
                    notFound.discard();
                    notFound = null;
                }
            }
            if (decision != null) {
                outcome.accept(decision);
            }
        }
    }

    /**
     * The account looked and has no such object (404), or says the id cannot be one of its
     * objects (400, 422); 401/403 mean the proxy's credential is refused there, which says nothing.
     */
    private static boolean definitelyNotHere(int status) {
        return status == 404 || status == 400 || status == 410 || status == 422;
    }
}
