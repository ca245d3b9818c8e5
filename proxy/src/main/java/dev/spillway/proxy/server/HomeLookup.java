package dev.spillway.proxy.server;

import dev.spillway.proxy.forward.Forwarder;
import dev.spillway.proxy.forward.UpstreamRequest;
import dev.spillway.proxy.forward.UpstreamResult;
import dev.spillway.proxy.route.Endpoint;
import dev.spillway.proxy.route.ObjectAffinity;
import dev.spillway.proxy.route.ObjectRef;
import dev.spillway.proxy.route.Router;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * Finds which account holds an object the proxy does not remember (it was created before a restart,
 * through another replica, or directly at the account): asks every account at once with a GET of
 * the object, which changes nothing and costs no tokens, and takes the first whose answer is that
 * object (its {@code id}, not merely a 200). The lookups still out then are abandoned, and every
 * lookup ends within {@link #TIMEOUT}, so a hanging account cannot collect them. So no shared
 * database is needed; a miss costs one lookup per account and one round trip of latency.
 */
final class HomeLookup {

    /** How a lookup ended. */
    sealed interface Outcome {
        /** This backend holds the object. */
        record Home(String backend) implements Outcome {}

        /** Every account said it has no such object; this is one of their answers, read whole. */
        record Nowhere(int status, String contentType, byte[] body, String backend) implements Outcome {}

        /**
         * None said it holds the object, and these could not tell (throttled, failing, unreachable).
         *
         * @param retryAfterMillis how long the throttled ones asked to wait; 0 when none said
         */
        record Unreachable(List<String> backends, long retryAfterMillis) implements Outcome {}
    }

    /** A lookup is one small GET; an account that takes longer is as good as unreachable for it. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** An object's id comes first in its JSON; an error body is small. */
    private static final int READ_LIMIT = 16 * 1024;
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
        Round round = new Round(ref.id(), accounts.size(), outcome);
        for (Endpoint account : accounts) {
            round.sent(forwarder.send(account, lookup, TIMEOUT, result -> round.answered(account.backend().name(), result)));
        }
    }

    /** The answers to one lookup, as they come. */
    private final class Round {
        private final String id;
        private final Consumer<Outcome> outcome;
        private final List<Runnable> abandon = new ArrayList<>();
        private int pending;
        private boolean decided;
        private Outcome.Nowhere notFound;
        private final List<String> unreachable = new ArrayList<>(0);
        private long retryAfterMillis;

        Round(String id, int accounts, Consumer<Outcome> outcome) {
            this.id = id;
            this.pending = accounts;
            this.outcome = outcome;
        }

        void sent(Runnable abandonIt) {
            boolean late;
            synchronized (this) {
                late = decided;
                if (!late) {
                    abandon.add(abandonIt);
                }
            }
            if (late) {
                abandonIt.run();
            }
        }

        void answered(String backend, UpstreamResult result) {
            if (!(result instanceof UpstreamResult.Response response)) {
                counted(backend, Verdict.UNREACHABLE, null);
                return;
            }
            int status = response.status();
            if (status >= 200 && status < 300) {
                response.readPrefix(READ_LIMIT, body -> counted(backend, holds(body) ? Verdict.HOME : Verdict.UNREACHABLE, null));
            } else if (definitelyNotHere(status)) {
                response.readPrefix(READ_LIMIT, body -> counted(backend, Verdict.NOT_HERE,
                        new Outcome.Nowhere(status, response.header("Content-Type"), body, backend)));
            } else {
                if (status == 429) {
                    synchronized (this) {
                        retryAfterMillis = Math.max(retryAfterMillis, router.retryAfter(response::header).toMillis());
                    }
                }
                response.discard();
                counted(backend, Verdict.UNREACHABLE, null);
            }
        }

        /** Whether a 2xx answer is the object asked for, by its top-level id. */
        private boolean holds(byte[] body) {
            AtomicReference<String> found = new AtomicReference<>();
            new CreatedObjectId(false, found::set).accept(ByteBuffer.wrap(body));
            return id.equals(found.get());
        }

        private void counted(String backend, Verdict verdict, Outcome.Nowhere answer) {
            Outcome decision = null;
            List<Runnable> toAbandon = List.of();
            synchronized (this) {
                pending--;
                if (!decided) {
                    switch (verdict) {
                        case HOME -> {
                            decided = true;
                            decision = new Outcome.Home(backend);
                            toAbandon = List.copyOf(abandon);
                        }
                        case NOT_HERE -> {
                            if (notFound == null) {
                                notFound = answer;
                            }
                        }
                        case UNREACHABLE -> unreachable.add(backend);
                    }
                }
                if (!decided && pending == 0) {
                    decided = true;
                    decision = unreachable.isEmpty() && notFound != null ? notFound
                            : new Outcome.Unreachable(List.copyOf(unreachable), retryAfterMillis);
                }
            }
            toAbandon.forEach(Runnable::run);
            if (decision != null) {
                outcome.accept(decision);
            }
        }
    }

    private enum Verdict { HOME, NOT_HERE, UNREACHABLE }

    /**
     * The account looked and has no such object (404), or says the id cannot be one of its
     * objects (400, 422); 401/403 mean the proxy's credential is refused there, which says nothing.
     */
    private static boolean definitelyNotHere(int status) {
        return status == 404 || status == 400 || status == 410 || status == 422;
    }
}
