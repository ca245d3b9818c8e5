package dev.spillway.proxy.route;

import java.util.List;

/** What {@link AvailabilityFilter} leaves for the load-balancing policy to choose from. */
public sealed interface Availability {

    /**
     * One priority group of endpoints that may be tried now.
     *
     * @param panic true when every candidate is cooling down after a failure and is used only because nothing healthy is left
     */
    record Candidates(List<Endpoint> endpoints, boolean panic) implements Availability {}

    /**
     * Nothing may be tried now; the earliest moment an endpoint becomes free again.
     *
     * @param saturated true when an untried endpoint was passed over only because its backend is at its concurrency cap
     */
    record Exhausted(long availableAtMillis, boolean saturated) implements Availability {}
}
