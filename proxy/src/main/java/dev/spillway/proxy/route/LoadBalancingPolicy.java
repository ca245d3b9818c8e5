package dev.spillway.proxy.route;

import java.util.List;

/** Picks one endpoint of a priority group; the group is never empty. */
public interface LoadBalancingPolicy {

    Endpoint pick(List<Endpoint> candidates);
}
