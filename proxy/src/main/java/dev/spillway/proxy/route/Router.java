package dev.spillway.proxy.route;

import dev.spillway.proxy.state.AccountState;
import dev.spillway.proxy.state.AccountStates;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Chooses where each attempt of a request goes, and learns from how attempts ended. Choosing is
 * two steps, as in YARP: {@link AvailabilityFilter} narrows the cluster to one priority group,
 * then the {@link LoadBalancingPolicy} picks within it. The forwarder reports outcomes here; it
 * never decides where to go next.
 */
public final class Router {

    private final Cluster cluster;
    private final AvailabilityFilter availability;
    private final LoadBalancingPolicy policy;
    private final ThrottleObserver throttles;
    private final OutlierDetection outliers;
    private final InstantSource clock;
    private final AccountStates shared;

    public Router(Cluster cluster, AvailabilityFilter availability, LoadBalancingPolicy policy,
                  ThrottleObserver throttles, OutlierDetection outliers, InstantSource clock) {
        this(cluster, availability, policy, throttles, outliers, clock, AccountStates.NONE);
    }

    /** @param shared where 429 blocks and quota reports go to, and come from, the other replicas */
    public Router(Cluster cluster, AvailabilityFilter availability, LoadBalancingPolicy policy,
                  ThrottleObserver throttles, OutlierDetection outliers, InstantSource clock, AccountStates shared) {
        this.cluster = cluster;
        this.shared = shared;
        this.availability = availability;
        this.policy = policy;
        this.throttles = throttles;
        this.outliers = outliers;
        this.clock = clock;
    }

    public Cluster cluster() {
        return cluster;
    }

    /**
     * Chooses the endpoint for the next attempt and counts it as in flight until {@link #finished}.
     * Each backend is offered at most once per request, whatever the filter says, so a request's
     * failover loop ends after at most as many attempts as there are backends. A backend whose
     * last slot another request took since the filter looked is passed over like a full one.
     *
     * @param tried           endpoints this request has already been sent to
     * @param estimatedTokens the request's cost against quota, as the service will estimate it
     */
    public RouteDecision next(String deployment, Set<Endpoint> tried, long estimatedTokens) {
        return next(cluster.endpoints(deployment), tried, estimatedTokens);
    }

    /**
     * As {@link #next(String, Set, long)}, for a request about an object that lives in one account:
     * only that backend's endpoint is a candidate. It is still never called while throttled, and is
     * called even when its quota estimate is spent or it is cooling down, since no other can serve.
     */
    public RouteDecision nextAtHome(String deployment, String homeBackend, Set<Endpoint> tried, long estimatedTokens) {
        Endpoint home = cluster.endpoint(deployment, homeBackend);
        return next(home == null ? List.of() : List.of(home), tried, estimatedTokens);
    }

    private RouteDecision next(List<Endpoint> endpoints, Set<Endpoint> tried, long estimatedTokens) {
        if (endpoints.isEmpty()) {
            return new RouteDecision.Exhausted(clock.millis(), false);
        }
        Set<Endpoint> passedOver = tried.size() >= endpoints.size() ? new HashSet<>(endpoints) : tried;
        boolean lostRace = false;
        while (true) {
            Availability available = availability.filter(endpoints, passedOver, clock.millis(), estimatedTokens);
            if (available instanceof Availability.Exhausted exhausted) {
                return new RouteDecision.Exhausted(exhausted.availableAtMillis(), exhausted.saturated() || lostRace);
            }
            Endpoint chosen = policy.pick(((Availability.Candidates) available).endpoints(), estimatedTokens);
            long failures = chosen.health().failureCount();
            QuotaState.Mark mark = chosen.tryDispatch(estimatedTokens, availability.maxInFlightPerBackend());
            if (mark != null) {
                return new RouteDecision.Attempt(chosen, mark, failures);
            }
            // Another request took the backend's last slot between the filter and now: pass it over too.
            passedOver = new HashSet<>(passedOver);
            passedOver.add(chosen);
            lostRace = true;
        }
    }

    /**
     * Whether no endpoint of the deployment could take a request of this cost now (throttled, at
     * its cap, or out of room with an answer still to come); null when one could.
     */
    public RouteDecision.Exhausted fullUntil(String deployment, long estimatedTokens) {
        Availability available = availability.filter(cluster.endpoints(deployment), Set.of(), clock.millis(), estimatedTokens);
        return available instanceof Availability.Exhausted exhausted
                ? new RouteDecision.Exhausted(exhausted.availableAtMillis(), exhausted.saturated()) : null;
    }

    /** The earliest end of a 429 block among the deployment's throttled endpoints, or empty when none is throttled. */
    public java.util.OptionalLong earliestBlockEnd(String deployment) {
        long now = clock.millis();
        long earliest = Long.MAX_VALUE;
        for (Endpoint endpoint : cluster.endpoints(deployment)) {
            if (endpoint.isThrottled(now)) {
                earliest = Math.min(earliest, endpoint.throttledUntilMillis());
            }
        }
        return earliest == Long.MAX_VALUE ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(earliest);
    }

    /** Whether an endpoint of the deployment has room for the request by its estimate, not only as a last resort. */
    public boolean roomFor(String deployment, long estimatedTokens) {
        return availability.roomFor(cluster.endpoints(deployment), clock.millis(), estimatedTokens);
    }

    /**
     * How often requests of this cost can go to the deployment's accounts together without
     * outrunning their quota: the time their token limits (as last reported) take to free that
     * many tokens. Empty while no account has reported its limit.
     */
    public java.util.OptionalLong paceMillis(String deployment, long estimatedTokens) {
        long tokensPerMinute = 0;
        for (Endpoint endpoint : cluster.endpoints(deployment)) {
            tokensPerMinute += Math.max(0, endpoint.quota().snapshot().limitTokens());
        }
        return tokensPerMinute == 0 ? java.util.OptionalLong.empty()
                : java.util.OptionalLong.of(Math.max(1, estimatedTokens * 60_000 / tokensPerMinute));
    }

    /** The attempt is over (answered and relayed, discarded, or failed). */
    public void finished(Endpoint endpoint) {
        endpoint.finished();
    }

    /**
     * The endpoint that keeps this one's state: itself once its deployment is known, else null
     * (a provisional endpoint for a name no account has confirmed yet).
     */
    public Endpoint known(Endpoint endpoint) {
        return cluster.known(endpoint);
    }

    /**
     * A response other than 429 arrived: a success proves the deployment exists, and any response
     * may report the endpoint's quota.
     */
    public void observed(RouteDecision.Attempt attempt, int status, Function<String, String> responseHeader) {
        Endpoint endpoint = attempt.endpoint();
        Endpoint known = status >= 200 && status < 300 ? cluster.confirm(endpoint) : cluster.known(endpoint);
        if (known == null) {
            return;
        }
        // A provisional endpoint's mark means nothing to the known one, which has seen nothing sent since.
        QuotaState.Mark mark = known == endpoint ? attempt.quotaMark() : null;
        long remainingTokens = number(responseHeader.apply("x-ratelimit-remaining-tokens"));
        long remainingRequests = number(responseHeader.apply("x-ratelimit-remaining-requests"));
        long limitTokens = number(responseHeader.apply("x-ratelimit-limit-tokens"));
        long limitRequests = number(responseHeader.apply("x-ratelimit-limit-requests"));
        long now = clock.millis();
        if (mark == null) {
            known.quota().observe(remainingTokens, remainingRequests, limitTokens, limitRequests, now);
        } else {
            known.quota().observe(mark, remainingTokens, remainingRequests, limitTokens, limitRequests, now);
        }
        if (remainingTokens >= 0 || remainingRequests >= 0) {
            shared.publish(new AccountState(known.backend().name(), known.deployment(), -1, remainingTokens, remainingRequests,
                    limitTokens, limitRequests, now));
        }
    }

    /**
     * Another replica learned this about an endpoint: a block keeps this replica off it as long as
     * it asked, and a quota report counts as this replica's own latest (what this replica sent
     * before it is taken as included). An account answered for the deployment, so it exists.
     */
    public void apply(AccountState state) {
        Endpoint named = cluster.endpoint(state.deployment(), state.backend());
        Endpoint endpoint = named == null ? null : cluster.confirm(named);
        if (endpoint == null) {
            return;
        }
        long now = clock.millis();
        if (state.isBlock()) {
            if (state.blockedUntilMillis() > now) {
                endpoint.throttleUntil(state.blockedUntilMillis());
                endpoint.throttledAt(now);
            }
        } else {
            endpoint.quota().observe(state.remainingTokens(), state.remainingRequests(), state.limitTokens(), state.limitRequests(), now);
        }
    }

    /** A rate-limit header's value; -1 when absent, unreadable or negative (Azure sends -1 for "not known"). */
    private static long number(String header) {
        if (header == null) {
            return -1;
        }
        try {
            long value = (long) Double.parseDouble(header.trim());
            return value < 0 ? -1 : value;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The endpoint answered 429: block it for as long as it asked. Returns how long that is. Azure
     * answers 429 only for a deployment that exists, so this also makes the deployment known.
     */
    public Duration throttled(Endpoint endpoint, Function<String, String> responseHeader) {
        long now = clock.millis();
        Duration block = throttles.blockFor(responseHeader, now);
        Endpoint known = cluster.confirm(endpoint);
        Endpoint blocked = known == null ? endpoint : known;
        blocked.throttleUntil(now + block.toMillis());
        blocked.throttledAt(now);
        blocked.stats().throttledOnce();
        if (known != null) {
            shared.publish(AccountState.blocked(known.backend().name(), known.deployment(), now + block.toMillis(), now));
        }
        return block;
    }

    /** How long a 429's headers ask to wait, by the same rules as {@link #throttled}, without blocking anything. */
    public Duration retryAfter(Function<String, String> responseHeader) {
        return throttles.blockFor(responseHeader, clock.millis());
    }

    /** The backend failed in a way that says nothing about the request (5xx, transport, 401/403). */
    public void failed(Endpoint endpoint) {
        Endpoint known = cluster.known(endpoint);
        (known == null ? endpoint : known).stats().failedOnce();
        outliers.failed(endpoint, clock.millis());
    }

    /** The backend answered something the client will see (2xx, or a 4xx that is the client's own). */
    public void succeeded(RouteDecision.Attempt attempt) {
        Endpoint known = cluster.known(attempt.endpoint());
        (known == null ? attempt.endpoint() : known).stats().servedOnce();
        outliers.succeeded(attempt.endpoint(), attempt.failureCountWhenSent());
    }

    public long nowMillis() {
        return clock.millis();
    }
}
