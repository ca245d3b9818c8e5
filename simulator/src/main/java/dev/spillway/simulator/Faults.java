package dev.spillway.simulator;

import java.time.Duration;
import java.util.Optional;

/**
 * Switches that make the simulated account misbehave, for failover and fault tests. Each switch is
 * independent and takes effect on the next request. Thread-safe.
 */
public final class Faults {

    /**
     * Answer 429 (without touching the quota) for one deployment, or all when none is named.
     *
     * @param retryAfterMs sent as {@code retry-after-ms} when present
     * @param retryAfter   sent as {@code retry-after}, in whole seconds rounded up
     */
    public record Throttle(Optional<String> deployment, Optional<Duration> retryAfterMs, Duration retryAfter) {
        boolean applies(String name) {
            return deployment.isEmpty() || deployment.get().equals(name);
        }
    }

    private volatile Throttle throttle;
    private volatile int failureStatus;
    private volatile Duration firstByteDelay = Duration.ZERO;
    private volatile int dropStreamAfterChunks = -1;

    /** Every request gets 429 with both {@code retry-after} and {@code retry-after-ms}. */
    public Faults throttleAll(Duration retryAfter) {
        throttle = new Throttle(Optional.empty(), Optional.of(retryAfter), retryAfter);
        return this;
    }

    /** Every request gets 429 whose two retry headers disagree, to see which one a client honours. */
    public Faults throttleAll(Duration retryAfterMs, Duration retryAfter) {
        throttle = new Throttle(Optional.empty(), Optional.of(retryAfterMs), retryAfter);
        return this;
    }

    /** Requests for one deployment get 429 with both retry headers. */
    public Faults throttle(String deployment, Duration retryAfter) {
        throttle = new Throttle(Optional.of(deployment), Optional.of(retryAfter), retryAfter);
        return this;
    }

    /** Every request gets 429 with only a {@code retry-after} header (whole seconds, rounded up). */
    public Faults throttleAllSecondsOnly(Duration retryAfter) {
        throttle = new Throttle(Optional.empty(), Optional.empty(), retryAfter);
        return this;
    }

    /** Every request is answered with this status (500, 503, ...). */
    public Faults failWith(int status) {
        failureStatus = status;
        return this;
    }

    /** Wait this long before sending the response headers. */
    public Faults delayFirstByte(Duration delay) {
        firstByteDelay = delay;
        return this;
    }

    /** Streaming responses break (connection aborted) after this many SSE events. */
    public Faults dropStreamAfter(int chunks) {
        dropStreamAfterChunks = chunks;
        return this;
    }

    public Faults clear() {
        throttle = null;
        failureStatus = 0;
        firstByteDelay = Duration.ZERO;
        dropStreamAfterChunks = -1;
        return this;
    }

    Optional<Throttle> throttleFor(String deployment) {
        Throttle current = throttle;
        return current != null && current.applies(deployment) ? Optional.of(current) : Optional.empty();
    }

    int failureStatus() {
        return failureStatus;
    }

    Duration firstByteDelay() {
        return firstByteDelay;
    }

    int dropStreamAfterChunks() {
        return dropStreamAfterChunks;
    }
}
