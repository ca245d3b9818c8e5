package dev.spillway.proxy.route;

import dev.spillway.proxy.config.BackendConfig;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One deployment on one backend: the unit that Azure throttles, and so the unit that a 429 blocks.
 * Health that belongs to the whole backend (connect failures, 5xx) lives in {@link BackendHealth},
 * shared by all of the backend's endpoints.
 */
public final class Endpoint {

    private final BackendConfig backend;
    private final String deployment;
    private final BackendHealth health;
    private final QuotaState quota = new QuotaState();
    private final EndpointStats stats = new EndpointStats();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile long throttledUntilMillis;
    private volatile long lastThrottledAtMillis = -1;

    Endpoint(BackendConfig backend, String deployment, BackendHealth health) {
        this.backend = backend;
        this.deployment = deployment;
        this.health = health;
    }

    public BackendConfig backend() {
        return backend;
    }

    /** The deployment name, or empty for calls that name none (such as listing models). */
    public String deployment() {
        return deployment;
    }

    public BackendHealth health() {
        return health;
    }

    public EndpointStats stats() {
        return stats;
    }

    public QuotaState quota() {
        return quota;
    }

    /** Attempts sent to this endpoint whose response has not yet ended. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Counts an attempt as in flight, unless the backend is already at its cap: taken atomically,
     * so that requests racing for the last slot cannot both get it.
     *
     * @return the quota mark of this attempt, or null when the backend is full
     */
    QuotaState.Mark tryDispatch(long estimatedTokens, int maxInFlightPerBackend) {
        if (!health.tryDispatch(maxInFlightPerBackend)) {
            return null;
        }
        inFlight.incrementAndGet();
        return quota.dispatched(estimatedTokens);
    }

    /** As {@link #tryDispatch} without a cap. */
    QuotaState.Mark dispatched(long estimatedTokens) {
        return tryDispatch(estimatedTokens, Integer.MAX_VALUE);
    }

    void finished() {
        inFlight.decrementAndGet();
        health.finished();
    }

    public boolean isThrottled(long nowMillis) {
        return nowMillis < throttledUntilMillis;
    }

    public long throttledUntilMillis() {
        return throttledUntilMillis;
    }

    /** Blocks this endpoint until the given moment; an earlier moment never shortens a longer block. */
    synchronized void throttleUntil(long untilMillis) {
        if (untilMillis > throttledUntilMillis) {
            throttledUntilMillis = untilMillis;
        }
    }

    /** The account answered 429 at this moment: its last quota figure, older, says nothing about its room now. */
    void throttledAt(long nowMillis) {
        lastThrottledAtMillis = nowMillis;
    }

    /** Whether the account said 429 after its last quota figure, so that figure cannot be trusted to show room. */
    public boolean throttledSinceLastReport() {
        return lastThrottledAtMillis >= 0 && lastThrottledAtMillis >= quota.snapshot().observedAtMillis();
    }

    /** When this endpoint may be called again: now, or the end of its throttle or cool-down. */
    public long availableAtMillis(long nowMillis) {
        return Math.max(nowMillis, Math.max(throttledUntilMillis, health.coolingUntilMillis()));
    }

    /**
     * One endpoint per backend and deployment, whichever object stands for it: a request's
     * "tried already" set must recognise a provisional endpoint made again for the next attempt.
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof Endpoint that && backend.name().equals(that.backend.name()) && deployment.equals(that.deployment);
    }

    @Override
    public int hashCode() {
        return 31 * backend.name().hashCode() + deployment.hashCode();
    }

    @Override
    public String toString() {
        return backend.name() + "/" + (deployment.isEmpty() ? "*" : deployment);
    }
}
