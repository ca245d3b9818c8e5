package dev.spillway.proxy.route;

/**
 * Passive health of one backend as a whole, set by {@link OutlierDetection}: after a failure the
 * backend cools down briefly and is only used when nothing healthy is left.
 */
public final class BackendHealth {

    private volatile long coolingUntilMillis;

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
