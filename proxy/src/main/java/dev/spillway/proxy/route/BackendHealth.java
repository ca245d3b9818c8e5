package dev.spillway.proxy.route;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Passive health of one backend as a whole, set by {@link OutlierDetection}: after a failure the
 * backend cools down briefly and is only used when nothing healthy is left.
 */
public final class BackendHealth {

    private final AtomicInteger inFlight = new AtomicInteger();
    /** Counts failures, so a success can tell whether a failure happened after its attempt was sent. */
    private final AtomicLong failures = new AtomicLong();
    private volatile long coolingUntilMillis;

    /** Attempts in flight to this backend, over all its deployments. */
    public int inFlight() {
        return inFlight.get();
    }

    boolean tryDispatch(int max) {
        while (true) {
            int current = inFlight.get();
            if (current >= max) {
                return false;
            }
            if (inFlight.compareAndSet(current, current + 1)) {
                return true;
            }
        }
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

    /** How many failures have been seen so far; an attempt notes it when sent. */
    long failureCount() {
        return failures.get();
    }

    synchronized void coolUntil(long untilMillis) {
        failures.incrementAndGet();
        coolingUntilMillis = untilMillis;
    }

    /**
     * Ends the cool-down, but only for a success whose attempt was sent after the last failure:
     * an older request that was already in flight says nothing about the backend's state since.
     */
    synchronized void recover(long failureCountWhenSent) {
        if (failures.get() == failureCountWhenSent) {
            coolingUntilMillis = 0;
        }
    }
}
