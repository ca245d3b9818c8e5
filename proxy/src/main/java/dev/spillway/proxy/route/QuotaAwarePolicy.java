package dev.spillway.proxy.route;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Prefers the endpoint with the most estimated quota headroom, learnt from the rate-limit headers
 * of earlier responses and the cost of what has been sent since. Endpoints the request would not
 * fit are avoided while another one fits, so load moves before a backend has to say 429. Among
 * the rest, two are drawn at random (weighted) and the roomier one wins: power of two choices,
 * so that several proxy replicas working from similar numbers do not all herd onto one backend.
 * Before any headers are seen every endpoint looks equally roomy, and this is plain spreading. An
 * endpoint that does not report its quota (no headers, or {@code -1}) is neither preferred nor
 * avoided against one that does: the weighted draw decides, so it keeps its share.
 */
public final class QuotaAwarePolicy implements LoadBalancingPolicy {

    private final RandomGenerator random;
    private final InstantSource clock;
    private final WeightedRandomPolicy draw;

    public QuotaAwarePolicy(RandomGenerator random, InstantSource clock) {
        this.random = random;
        this.clock = clock;
        this.draw = new WeightedRandomPolicy(random);
    }

    @Override
    public Endpoint pick(List<Endpoint> candidates, long estimatedTokens) {
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        long now = clock.millis();
        List<Endpoint> fitting = new ArrayList<>(candidates.size());
        for (Endpoint endpoint : candidates) {
            if (endpoint.quota().headroom(now).fits(estimatedTokens)) {
                fitting.add(endpoint);
            }
        }
        List<Endpoint> pool = fitting.isEmpty() ? candidates : fitting;
        if (pool.size() == 1) {
            return pool.get(0);
        }
        Endpoint first = draw.pick(pool, estimatedTokens);
        Endpoint second = first;
        for (int i = 0; i < 4 && second == first; i++) {
            second = draw.pick(pool, estimatedTokens);
        }
        if (second == first) {
            second = pool.get((pool.indexOf(first) + 1 + random.nextInt(pool.size() - 1)) % pool.size());
        }
        QuotaState.Headroom firstRoom = first.quota().headroom(now);
        QuotaState.Headroom secondRoom = second.quota().headroom(now);
        if (!firstRoom.known() || !secondRoom.known()) {
            return first;
        }
        return room(secondRoom) > room(firstRoom) ? second : first;
    }

    /** Tokens of room, unless request slots are the tighter limit: then none. */
    private static long room(QuotaState.Headroom headroom) {
        return headroom.requests() < 1 ? Long.MIN_VALUE / 4 + headroom.requests() : headroom.tokens();
    }
}
