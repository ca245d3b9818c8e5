package dev.spillway.proxy.route;

import java.time.Duration;
import java.time.InstantSource;
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

    public Router(Cluster cluster, AvailabilityFilter availability, LoadBalancingPolicy policy,
                  ThrottleObserver throttles, OutlierDetection outliers, InstantSource clock) {
        this.cluster = cluster;
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
     *
     * @param tried           endpoints this request has already been sent to
     * @param estimatedTokens the request's cost against quota, as the service will estimate it
     */
    public RouteDecision next(String deployment, Set<Endpoint> tried, long estimatedTokens) {
        Availability available = availability.filter(cluster.endpoints(deployment), tried, clock.millis(), estimatedTokens);
        return switch (available) {
            case Availability.Candidates candidates -> {
                Endpoint chosen = policy.pick(candidates.endpoints(), estimatedTokens);
                chosen.dispatched(estimatedTokens);
                yield new RouteDecision.Attempt(chosen);
            }
            case Availability.Exhausted exhausted -> new RouteDecision.Exhausted(exhausted.availableAtMillis(), exhausted.saturated());
        };
    }

    /** The attempt is over (answered and relayed, discarded, or failed). */
    public void finished(Endpoint endpoint) {
        endpoint.finished();
    }

    /** A response other than 429 arrived: learn the quota it reports. */
    public void observed(Endpoint endpoint, Function<String, String> responseHeader) {
        endpoint.quota().observe(number(responseHeader.apply("x-ratelimit-remaining-tokens")),
                number(responseHeader.apply("x-ratelimit-remaining-requests")),
                number(responseHeader.apply("x-ratelimit-limit-tokens")),
                number(responseHeader.apply("x-ratelimit-limit-requests")),
                clock.millis());
    }

    private static long number(String header) {
        if (header == null) {
            return -1;
        }
        try {
            return Math.max(0, (long) Double.parseDouble(header.trim()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The endpoint answered 429: block it for as long as it asked. Returns how long that is. */
    public Duration throttled(Endpoint endpoint, Function<String, String> responseHeader) {
        long now = clock.millis();
        Duration block = throttles.blockFor(responseHeader, now);
        endpoint.throttleUntil(now + block.toMillis());
        endpoint.stats().throttledOnce();
        return block;
    }

    /** The backend failed in a way that says nothing about the request (5xx, transport, 401/403). */
    public void failed(Endpoint endpoint) {
        endpoint.stats().failedOnce();
        outliers.failed(endpoint, clock.millis());
    }

    public void succeeded(Endpoint endpoint) {
        endpoint.stats().servedOnce();
        outliers.succeeded(endpoint);
    }

    public long nowMillis() {
        return clock.millis();
    }
}
