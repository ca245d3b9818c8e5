package dev.spillway.proxy.route;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Passive health of one backend as a whole, set by {@link OutlierDetection}: after a failure the
 * backend cools down briefly and is only used when nothing healthy is left.
 */
public final class BackendHealth {

    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile long coolingUntilMillis;

    /** Attempts in flight to this backend, over all its deployments. */
    public int inFlight() {
        return inFlight.get();
    }

    void dispatched() {
        inFlight.incrementAndGet();
    }

    void finished() {
        inFlight.decrementAndGet();
    }

    public boolean isCooling(long nowMillis) {
        return nowMillis < coolingUntilMillis;
    }

    public long coolingUntilMillis() {
        return coolingUntilMillis;
    }

    void coolUntil(long untilMillis) {
        coolingUntilMillis = untilMillis;
    }

    void recover() {
        coolingUntilMillis = 0;
    }
}
