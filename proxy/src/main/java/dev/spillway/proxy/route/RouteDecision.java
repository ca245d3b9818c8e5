package dev.spillway.proxy.route;

/** The {@link Router}'s answer for the next attempt of a request. */
public sealed interface RouteDecision {

    /** Send the attempt to this endpoint. */
    record Attempt(Endpoint endpoint) implements RouteDecision {}

    /**
     * Every endpoint is throttled, at its concurrency cap, or already tried; the earliest one is free at this moment.
     *
     * @param saturated true when a backend at its concurrency cap was passed over
     */
    record Exhausted(long availableAtMillis, boolean saturated) implements RouteDecision {}
}
