package dev.spillway.proxy.route;

import java.util.concurrent.atomic.LongAdder;

/** Running totals of how attempts at one endpoint ended, for the status page. */
public final class EndpointStats {

    private final LongAdder served = new LongAdder();
    private final LongAdder throttled = new LongAdder();
    private final LongAdder failed = new LongAdder();

    void servedOnce() {
        served.increment();
    }

    void throttledOnce() {
        throttled.increment();
    }

    void failedOnce() {
        failed.increment();
    }

    public long served() {
        return served.sum();
    }

    public long throttled() {
        return throttled.sum();
    }

    public long failed() {
        return failed.sum();
    }
}
