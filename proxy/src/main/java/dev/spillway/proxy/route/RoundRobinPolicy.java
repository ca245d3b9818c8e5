package dev.spillway.proxy.route;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Takes the candidates in turn. Weights are ignored: use the random policy for weighted spreading. */
public final class RoundRobinPolicy implements LoadBalancingPolicy {

    private final AtomicLong next = new AtomicLong();

    @Override
    public Endpoint pick(List<Endpoint> candidates, long estimatedTokens) {
        return candidates.get((int) Math.floorMod(next.getAndIncrement(), (long) candidates.size()));
    }
}
