package dev.spillway.proxy.route;

import java.util.List;
import java.util.random.RandomGenerator;

/** Picks at random, in proportion to each backend's weight: the reference sample's spreading, with weights. */
public final class WeightedRandomPolicy implements LoadBalancingPolicy {

    private final RandomGenerator random;

    public WeightedRandomPolicy(RandomGenerator random) {
        this.random = random;
    }

    @Override
    public Endpoint pick(List<Endpoint> candidates, long estimatedTokens) {
        long total = 0;
        for (Endpoint endpoint : candidates) {
            total += endpoint.backend().weight();
        }
        long ticket = random.nextLong(total);
        for (Endpoint endpoint : candidates) {
            ticket -= endpoint.backend().weight();
            if (ticket < 0) {
                return endpoint;
            }
        }
        return candidates.get(candidates.size() - 1);
    }
}
