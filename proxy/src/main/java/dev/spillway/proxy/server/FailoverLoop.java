package dev.spillway.proxy.server;

import dev.spillway.proxy.forward.BodyTap;
import dev.spillway.proxy.forward.Forwarder;
import dev.spillway.proxy.forward.ResponseRelay;
import dev.spillway.proxy.forward.UpstreamRequest;
import dev.spillway.proxy.forward.UpstreamResult;
import dev.spillway.proxy.forward.UsageStripper;
import dev.spillway.proxy.observe.AttemptLog;
import dev.spillway.proxy.observe.ProxyMetrics;
import dev.spillway.proxy.observe.ProxyMetrics.AttemptOutcome;
import dev.spillway.proxy.observe.ProxyMetrics.RequestOutcome;
import dev.spillway.proxy.observe.UsageScanner;
import dev.spillway.proxy.route.Endpoint;
import dev.spillway.proxy.route.ObjectAffinity;
import dev.spillway.proxy.route.ReplayPolicy;
import dev.spillway.proxy.route.RouteDecision;
import dev.spillway.proxy.route.Router;
import dev.spillway.proxy.server.ClientExchange.AttemptRecord;
import java.time.Duration;
import org.eclipse.jetty.http.HttpField;

/**
 * Tries endpoints for one request as the {@link Router} directs until one answers with something
 * the client should see, and relays that answer. The rules (DESIGN.md): 429 blocks the endpoint
 * and moves on; 5xx, 401/403 and transport failures cool the backend down and move on; any other
 * answer goes to the client as is; each backend is tried at most once; nothing is retried once a
 * byte has reached the client; and a request that creates or changes an object is not replayed
 * once it may have reached a backend ({@link ReplayPolicy}). A request about an object that lives in
 * one account ({@link ObjectAffinity}) goes to that account alone: its 429 or failure is the
 * client's answer, since no other account has the object.
 *
 * <p>Each step runs when the event it waits for arrives (an attempt's headers or failure, the end
 * of a relay); between steps no thread is held.
 */
final class FailoverLoop {

    static final String BACKEND_HEADER = "x-spillway-backend";

    /** What the loop needs that lives as long as the proxy. */
    record Parts(Router router, Forwarder forwarder, ResponseRelay relay, AttemptLog log, FailoverAnswers answers, ProxyMetrics metrics,
                 HomeResolver homes, PendingRequests pending) {}

    /** Times a held request may be let go and find no room again before it is answered 429: bounds its upstream calls. */
    static final int MAX_ROUNDS = 4;
    /** However often it is held, a request calls each backend at most this often on average. */
    static final int MAX_ATTEMPTS_PER_BACKEND = 2;

    /** An attempt whose response headers arrived. */
    private record Attempt(RouteDecision.Attempt routed, UpstreamResult.Response response, long sentNanos) {
        Endpoint endpoint() {
            return routed.endpoint();
        }
    }

    private final Parts parts;
    private final ClientExchange exchange;
    private final UpstreamRequest request;
    private final long estimatedTokens;
    private final ReplayPolicy replay;
    private final ObjectAffinity affinity;
    /** The backend holding the objects the request names; null when it may go anywhere. */
    private String home;
    private Attempt held;
    private UpstreamResult.Failure lastFailure;
    private boolean throttledHere;
    private final long arrivedMillis;
    /** When it was first held, or -1; and how often it has been let go since. */
    private long heldSinceMillis = -1;
    private int rounds;

    FailoverLoop(Parts parts, ClientExchange exchange, UpstreamRequest request, long estimatedTokens, ReplayPolicy replay,
                 ObjectAffinity affinity) {
        this.parts = parts;
        this.exchange = exchange;
        this.request = request;
        this.estimatedTokens = estimatedTokens;
        this.replay = replay;
        this.affinity = affinity;
        this.arrivedMillis = parts.router().nowMillis();
    }

    /** Sends the first attempt, once the account is known for a request about objects. */
    void start() {
        if (!affinity.pinned()) {
            // Requests already held for this deployment were here first.
            if (parts.pending().enabled() && parts.pending().anyWaiting(exchange.deployment)) {
                if (!wait(new RouteDecision.Exhausted(parts.router().nowMillis(), false), false)) {
                    refuseWithoutWaiting();
                }
                return;
            }
            next();
            return;
        }
        parts.homes().resolve(affinity, resolution -> {
            switch (resolution) {
                case HomeResolver.Resolution.Home found -> {
                    home = found.backend();
                    next();
                }
                case HomeResolver.Resolution.NotFound notFound -> relayNotFound(notFound);
                case HomeResolver.Resolution.Refused refused -> {
                    exchange.outcome = refused.answer().status() == 503 ? RequestOutcome.HOME_UNAVAILABLE : RequestOutcome.REJECTED;
                    exchange.answer(refused.answer());
                }
            }
        });
    }

    void next() {
        Router router = parts.router();
        String deployment = exchange.deployment;
        RouteDecision decision = home == null ? router.next(deployment, exchange.tried, estimatedTokens)
                : router.nextAtHome(deployment, home, exchange.tried, estimatedTokens);
        if (decision instanceof RouteDecision.Exhausted exhausted) {
            if (home != null) {
                exhaustedAtHome(exhausted);
            } else if (!mayWait(exhausted) || !wait(exhausted, heldSinceMillis >= 0)) {
                exhausted(exhausted);
            }
            return;
        }
        if (held != null) {
            held.response().discard();
            router.finished(held.endpoint());
            held = null;
        }
        RouteDecision.Attempt routed = (RouteDecision.Attempt) decision;
        Endpoint endpoint = routed.endpoint();
        exchange.tried.add(endpoint);
        parts.log().attempt(endpoint, request.pathAndQuery(), exchange.tried.size());
        long sent = System.nanoTime();
        parts.forwarder().send(endpoint, request, result -> answered(routed, sent, result));
    }

    private void exhausted(RouteDecision.Exhausted exhausted) {
        Router router = parts.router();
        String deployment = exchange.deployment;
        if (held == null && lastFailure == null && !throttledHere && exhausted.saturated()) {
            exchange.outcome = RequestOutcome.FAILED;
            exchange.answer(parts.answers().saturated());
        } else if (held != null) {
            // The last backend's own error says more than anything the proxy could make up.
            exchange.outcome = RequestOutcome.FAILED;
            Attempt last = held;
            held = null;
            relay(last, () -> exchange.answer(parts.answers().exhausted(deployment, 0, router.nowMillis(), false, brokeBeforeBody())));
        } else {
            exchange.outcome = throttledHere || exchange.tried.isEmpty() || lastFailure == null ? RequestOutcome.BLOCKED : RequestOutcome.FAILED;
            exchange.answer(parts.answers().exhausted(deployment, exhausted.availableAtMillis(), router.nowMillis(), throttledHere, lastFailure));
        }
    }

    /**
     * Whether the request may be held for an account to have room: only when throttling or spent
     * quota is why none can take it (a failure's answer is the client's at once), the moment one is
     * expected to be free is within the longest wait, and the deployment is a real one.
     */
    private boolean mayWait(RouteDecision.Exhausted exhausted) {
        PendingRequests pending = parts.pending();
        // A request already held and let go may wait again for a slot; a newcomer at the cap gets 503 at once, as before.
        return pending.enabled() && (!exhausted.saturated() || heldSinceMillis >= 0) && held == null && lastFailure == null
                && rounds < MAX_ROUNDS && exchange.attempts.size() < MAX_ATTEMPTS_PER_BACKEND * parts.router().cluster().backends().size()
                && exhausted.availableAtMillis() < deadlineMillis() && parts.router().cluster().remembers(exchange.deployment);
    }

    private long deadlineMillis() {
        return arrivedMillis + parts.pending().maxWait().toMillis();
    }

    /** Holds the request; false when the deployment's queue is full. */
    private boolean wait(RouteDecision.Exhausted exhausted, boolean keepPlace) {
        if (heldSinceMillis < 0) {
            heldSinceMillis = parts.router().nowMillis();
        }
        boolean holding = parts.pending().hold(exchange.deployment, new PendingRequests.Waiter() {
            @Override
            public long estimatedTokens() {
                return estimatedTokens;
            }

            @Override
            public long deadlineMillis() {
                return FailoverLoop.this.deadlineMillis();
            }

            @Override
            public void release() {
                if (rounds == 0) {
                    parts.metrics().waited("released", Duration.ofMillis(parts.router().nowMillis() - heldSinceMillis));
                }
                rounds++;
                // A new round: every endpoint may be tried again, now that one should have room.
                exchange.tried.clear();
                next();
            }

            @Override
            public void expire() {
                parts.metrics().waited("expired", Duration.ofMillis(parts.router().nowMillis() - heldSinceMillis));
                refuseWithoutWaiting();
            }
        }, keepPlace);
        if (!holding) {
            parts.metrics().waited("queue_full", Duration.ZERO);
        }
        return holding;
    }

    /** 429 without holding the request (longer): retry when an endpoint is expected free, and not sooner than a second. */
    private void refuseWithoutWaiting() {
        Router router = parts.router();
        RouteDecision.Exhausted full = router.fullUntil(exchange.deployment, estimatedTokens);
        long availableAt = full == null ? router.nowMillis() : full.availableAtMillis();
        exhausted(new RouteDecision.Exhausted(Math.max(availableAt, router.nowMillis() + 1_000), false));
    }

    /** The one account that could serve the request cannot now; what it said is the client's answer. */
    private void exhaustedAtHome(RouteDecision.Exhausted exhausted) {
        String objectId = affinity.named().get(0).id();
        if (held != null) {
            exchange.outcome = RequestOutcome.HOME_UNAVAILABLE;
            Attempt last = held;
            held = null;
            relay(last, () -> exchange.answer(parts.answers().homeUnavailable(objectId, home, brokeBeforeBody())));
        } else if (lastFailure != null) {
            exchange.outcome = RequestOutcome.HOME_UNAVAILABLE;
            exchange.answer(parts.answers().homeUnavailable(objectId, home, lastFailure));
        } else if (exhausted.saturated()) {
            exchange.outcome = RequestOutcome.FAILED;
            exchange.answer(parts.answers().saturated());
        } else {
            exchange.outcome = RequestOutcome.HOME_THROTTLED;
            exchange.answer(parts.answers().homeThrottled(objectId, home, exhausted.availableAtMillis(), parts.router().nowMillis()));
        }
    }

    /** No account holds the object: the client gets an account's own answer to the lookup, its 404. */
    private void relayNotFound(HomeResolver.Resolution.NotFound notFound) {
        exchange.outcome = RequestOutcome.REJECTED;
        exchange.answerAsIs(notFound.status(), notFound.contentType(), notFound.body(), new HttpField(BACKEND_HEADER, notFound.backend()));
    }

    private void answered(RouteDecision.Attempt routed, long sent, UpstreamResult result) {
        try {
            decide(routed, sent, result);
        } finally {
            // Fresh headers, a new block, a slot freed: requests held for the deployment may go now.
            parts.pending().changed();
        }
    }

    private void decide(RouteDecision.Attempt routed, long sent, UpstreamResult result) {
        Router router = parts.router();
        Endpoint endpoint = routed.endpoint();
        Duration toHeaders = Duration.ofNanos(System.nanoTime() - sent);
        if (result instanceof UpstreamResult.Failure failure) {
            router.finished(endpoint);
            router.failed(endpoint);
            exchange.attempts.add(new AttemptRecord(endpoint, 0, AttemptOutcome.FAILED, toHeaders));
            parts.log().failed(endpoint, failure.kind() == UpstreamResult.Kind.TIMEOUT ? failure.detail()
                    : AttemptLog.words(failure.kind()) + ": " + failure.detail());
            lastFailure = failure;
            if (failure.sent() && !replay.replayAfterSent()) {
                exchange.outcome = RequestOutcome.FAILED;
                exchange.answer(parts.answers().notReplayed(exchange.deployment, failure));
                return;
            }
            next();
            return;
        }
        UpstreamResult.Response response = (UpstreamResult.Response) result;
        int status = response.status();
        if (status == 429) {
            Duration block = router.throttled(endpoint, response::header);
            exchange.attempts.add(new AttemptRecord(endpoint, status, AttemptOutcome.THROTTLED, toHeaders));
            parts.log().throttled(endpoint, block);
            throttledHere = true;
            if (home != null) {
                // Its own 429, with its own Retry-After: no other account has the object.
                exchange.outcome = RequestOutcome.HOME_THROTTLED;
                relay(new Attempt(routed, response, sent), () -> exchange.answer(parts.answers().homeThrottled(
                        affinity.named().get(0).id(), home, router.nowMillis() + block.toMillis(), router.nowMillis())));
                return;
            }
            response.discard();
            router.finished(endpoint);
            next();
            return;
        }
        router.observed(routed, status, response::header);
        Attempt attempt = new Attempt(routed, response, sent);
        if (status >= 500 || status == 401 || status == 403) {
            router.failed(endpoint);
            exchange.attempts.add(new AttemptRecord(endpoint, status, AttemptOutcome.FAILED, toHeaders));
            parts.log().failed(endpoint, "HTTP " + status);
            if (status >= 500 && !replay.replayAfterSent()) {
                // The account may have acted before it failed; its own answer is the honest one.
                exchange.outcome = home != null ? RequestOutcome.HOME_UNAVAILABLE : RequestOutcome.FAILED;
                relay(attempt, () -> exchange.answer(parts.answers().notReplayed(exchange.deployment, brokeBeforeBody())));
                return;
            }
            held = attempt;
            next();
            return;
        }
        router.succeeded(routed);
        if (home != null && status == 404) {
            // Not (or no longer) there: whoever names it next finds its home afresh instead of trusting this one.
            affinity.named().forEach(ref -> parts.homes().deleted(ref.id()));
        }
        exchange.attempts.add(new AttemptRecord(endpoint, status, AttemptOutcome.SERVED, toHeaders));
        exchange.outcome = exchange.tried.size() == 1 ? RequestOutcome.SERVED : RequestOutcome.FAILED_OVER;
        relay(attempt, () -> {
            // Nothing reached the client: an ordinary failed attempt, sent, so replayed only if the policy allows.
            router.failed(endpoint);
            exchange.attempts.set(exchange.attempts.size() - 1, new AttemptRecord(endpoint, status, AttemptOutcome.FAILED, toHeaders));
            parts.log().failed(endpoint, "response broke before its first body byte");
            lastFailure = brokeBeforeBody();
            if (!replay.replayAfterSent()) {
                exchange.outcome = RequestOutcome.FAILED;
                exchange.answer(parts.answers().notReplayed(exchange.deployment, lastFailure));
                return;
            }
            next();
        });
    }

    /**
     * Settles the caller's charge once the answer reached the client, whole or cut off: the usage
     * the account reported; else, for a success, the reservation (a stream cut before its usage
     * chunk still spent tokens); else nothing (the account's own refusal).
     */
    private void charge(UsageScanner usage, boolean plain, boolean success) {
        UsageScanner.Usage used = plain ? usage.usage().orElse(null) : null;
        if (used != null) {
            exchange.charge.used(used.promptTokens(), used.completionTokens());
        } else if (success) {
            exchange.charge.keepReservation();
        } else {
            exchange.charge.release();
        }
    }

    private static UpstreamResult.Failure brokeBeforeBody() {
        return new UpstreamResult.Failure(UpstreamResult.Kind.TRANSPORT, "response broke before its first body byte", true);
    }

    /** @param brokeBeforeBody what to do when the backend broke before anything reached the client, which is then untouched */
    private void relay(Attempt attempt, Runnable brokeBeforeBody) {
        Endpoint endpoint = attempt.endpoint();
        boolean stream = ResponseRelay.isStream(attempt.response());
        boolean plain = attempt.response().header("Content-Encoding") == null;
        UsageScanner usage = new UsageScanner();
        int status = attempt.response().status();
        boolean success = status >= 200 && status < 300;
        BodyTap tap = usage;
        if (success && plain && affinity.creates() != null) {
            String backend = endpoint.backend().name();
            tap = usage.andThen(new CreatedObjectId(stream, id -> parts.homes().created(id, backend)));
        }
        if (exchange.charge.counts()) {
            // Settled before the client reads the end, so its next request meets the charge, not the estimate.
            tap = tap.andThen(BodyTap.onEnd(() -> charge(usage, plain, success)));
        }
        ProxyMetrics metrics = parts.metrics();
        if (stream) {
            metrics.streamOpened();
        }
        exchange.relaying(attempt.response().status());
        UsageStripper stripper = exchange.stripsUsage && stream && success && plain ? new UsageStripper() : null;
        parts.relay().relay(attempt.response(), exchange.response, new HttpField(BACKEND_HEADER, endpoint.backend().name()), tap, stripper, result -> {
            if (stream) {
                metrics.streamClosed();
            }
            metrics.relayed(endpoint, Duration.ofNanos(System.nanoTime() - attempt.sentNanos()));
            parts.router().finished(endpoint);
            // A freed slot is shared by the backend's every deployment.
            parts.pending().changed();
            if (result.ending() != ResponseRelay.Ending.BROKE_BEFORE_BODY) {
                charge(usage, plain, success);
            }
            switch (result.ending()) {
                case COMPLETE -> {
                    Endpoint known = parts.router().known(endpoint);
                    if (plain && known != null) {
                        usage.usage().ifPresent(u -> metrics.tokens(known, u.promptTokens(), u.completionTokens()));
                    }
                    if (success && affinity.deletes() != null) {
                        parts.homes().deleted(affinity.deletes().id());
                    }
                    exchange.succeeded();
                }
                case BROKE_BEFORE_BODY -> brokeBeforeBody.run();
                case UPSTREAM_BROKE -> {
                    parts.log().streamBroken(endpoint, result.bytes(), result.cause());
                    // Too late to retry this request, but the next ones should go elsewhere for a while.
                    parts.router().failed(endpoint);
                    exchange.cutOff(result.cause());
                }
                case CLIENT_GONE -> {
                    parts.log().clientGone(endpoint, result.bytes());
                    exchange.failed(result.cause());
                }
            }
        });
    }
}
