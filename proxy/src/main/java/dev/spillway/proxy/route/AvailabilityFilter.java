package dev.spillway.proxy.route;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Decides which endpoints a request may try next. Throttled endpoints are never called before the
 * time their backend asked for; an endpoint already tried by this request is not tried again.
 * Of the rest, the lowest priority number among healthy endpoints wins. Endpoints cooling down
 * after a failure are a last resort (Envoy's panic routing): a guess about health should not turn
 * away a request that a recovered backend could serve. A backend with as many attempts in flight
 * as its cap allows is passed over (Envoy's circuit breaker), so one slow backend cannot hold
 * every connection. With quota estimates on, an endpoint whose last rate-limit headers (less what
 * was sent since) leave no room for this request is passed over while any other endpoint, in any
 * priority group, has room: the request moves before the account has to say 429. When none has
 * room they are all still candidates: the proxy cannot see when an account's window turns, and
 * refusing on a guess would turn away requests the account would take; the account's own 429
 * then says exactly how long to wait.
 */
public final class AvailabilityFilter {

    private final int maxInFlightPerBackend;
    private final boolean respectQuotaEstimates;

    public AvailabilityFilter(int maxInFlightPerBackend, boolean respectQuotaEstimates) {
        this.maxInFlightPerBackend = maxInFlightPerBackend;
        this.respectQuotaEstimates = respectQuotaEstimates;
    }

    /** Attempts one backend may have in flight; the router takes a slot atomically when it dispatches. */
    public int maxInFlightPerBackend() {
        return maxInFlightPerBackend;
    }

    /** @param estimatedTokens the request's cost, as the service will estimate it */
    public Availability filter(List<Endpoint> endpoints, Set<Endpoint> tried, long nowMillis, long estimatedTokens) {
        List<Endpoint> healthy = new ArrayList<>(endpoints.size());
        List<Endpoint> cooling = new ArrayList<>(0);
        boolean saturated = false;
        List<Endpoint> spent = new ArrayList<>(0);
        for (Endpoint endpoint : endpoints) {
            if (tried.contains(endpoint) || endpoint.isThrottled(nowMillis)) {
                continue;
            }
            if (respectQuotaEstimates && !endpoint.quota().headroom(nowMillis).fits(estimatedTokens)) {
                spent.add(endpoint);
                continue;
            }
            if (endpoint.health().inFlight() >= maxInFlightPerBackend) {
                saturated = true;
                continue;
            }
            (endpoint.health().isCooling(nowMillis) ? cooling : healthy).add(endpoint);
        }
        if (!healthy.isEmpty()) {
            return new Availability.Candidates(bestPriority(healthy), false);
        }
        if (!spent.isEmpty()) {
            return new Availability.Candidates(bestPriority(spent), false);
        }
        if (!cooling.isEmpty()) {
            return new Availability.Candidates(bestPriority(cooling), true);
        }
        long earliest = Long.MAX_VALUE;
        for (Endpoint endpoint : endpoints) {
            earliest = Math.min(earliest, endpoint.availableAtMillis(nowMillis));
        }
        return new Availability.Exhausted(earliest == Long.MAX_VALUE ? nowMillis : earliest, saturated);
    }

    /**
     * Whether an endpoint could take the request now with room to spare by its estimate (not merely
     * as a last resort): throttled, full, cooling and out-of-room endpoints do not count, nor does
     * one whose account said 429 since its last quota figure (its block over, its room unknown), nor,
     * with quota estimates off, any at all: then every request let go from a wait is a last resort.
     */
    public boolean roomFor(List<Endpoint> endpoints, long nowMillis, long estimatedTokens) {
        if (!respectQuotaEstimates) {
            return false;
        }
        for (Endpoint endpoint : endpoints) {
            QuotaState.Headroom headroom = endpoint.quota().headroom(nowMillis);
            if (!endpoint.isThrottled(nowMillis) && endpoint.health().inFlight() < maxInFlightPerBackend
                    && !endpoint.health().isCooling(nowMillis) && headroom.known() && headroom.fits(estimatedTokens)
                    && !endpoint.throttledSinceLastReport()) {
                return true;
            }
        }
        return false;
    }

    private static List<Endpoint> bestPriority(List<Endpoint> endpoints) {
        int best = Integer.MAX_VALUE;
        for (Endpoint endpoint : endpoints) {
            best = Math.min(best, endpoint.backend().priority());
        }
        List<Endpoint> group = new ArrayList<>(endpoints.size());
        for (Endpoint endpoint : endpoints) {
            if (endpoint.backend().priority() == best) {
                group.add(endpoint);
            }
        }
        return group;
    }
}
