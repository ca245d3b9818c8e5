package dev.spillway.proxy.route;

/** The {@link Router}'s answer for the next attempt of a request. */
public sealed interface RouteDecision {

    /**
     * Send the attempt to this endpoint. The attempt counts as in flight until {@link Router#finished}.
     *
     * @param quotaMark            the endpoint's running totals when this attempt was sent, so its answer's quota figure is read rightly
     * @param failureCountWhenSent the backend's failure count when this attempt was sent, so its success cannot clear a newer cool-down
     */
    record Attempt(Endpoint endpoint, QuotaState.Mark quotaMark, long failureCountWhenSent) implements RouteDecision {}

    /**
     * Every endpoint is throttled, at its concurrency cap, or already tried; the earliest one is free at this moment.
     *
     * @param saturated true when a backend at its concurrency cap was passed over
     */
    record Exhausted(long availableAtMillis, boolean saturated) implements RouteDecision {}
}
