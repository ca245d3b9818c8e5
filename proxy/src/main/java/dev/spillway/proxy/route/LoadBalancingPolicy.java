package dev.spillway.proxy.route;

import java.util.List;

/** Picks one endpoint of a priority group; the group is never empty. */
public interface LoadBalancingPolicy {

    /** @param estimatedTokens what the request will cost against quota, as the service estimates it */
    Endpoint pick(List<Endpoint> candidates, long estimatedTokens);
}
