package dev.spillway.proxy.route;

/** The {@link Router}'s answer for the next attempt of a request. */
public sealed interface RouteDecision {

    /** Send the attempt to this endpoint. */
    record Attempt(Endpoint endpoint) implements RouteDecision {}

    /** Every endpoint is throttled or already tried; the earliest one is free at this moment. */
    record Exhausted(long availableAtMillis) implements RouteDecision {}
}
