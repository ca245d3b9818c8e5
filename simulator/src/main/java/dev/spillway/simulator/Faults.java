package dev.spillway.simulator;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Switches that make the simulated account misbehave, for failover and fault tests, and switches
 * for the shapes Azure OpenAI is documented or observed to answer with now and then. Each switch
 * is independent and takes effect on the next request. Thread-safe.
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
    private volatile double failureRate;
    private volatile int randomFailureStatus;
    private volatile boolean capacityThrottle;
    private volatile boolean remainingUnknown;
    private volatile boolean noQuotaHeaders;
    private volatile double limitFactor = 1.0;
    private volatile boolean contentFilterChunks;
    private volatile String filteredPromptMarker;
    private volatile Optional<DeploymentWarmUp> warmingUp = Optional.empty();

    /** A deployment created moments ago: Azure answers 404 for about five minutes. */
    record DeploymentWarmUp(String deployment, Instant readyAt) {}

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

    /**
     * A share of requests fails with this status at random (Azure's intermittent 500
     * {@code server_error}, 503 {@code ServiceUnavailable}, 408 {@code Timeout}).
     */
    public Faults failRandomly(int status, double rate) {
        randomFailureStatus = status;
        failureRate = rate;
        return this;
    }

    /**
     * Every request gets a capacity 429 ("The system is experiencing high demand"): the service,
     * not the deployment's quota, is short, and the answer may carry no retry header at all.
     */
    public Faults capacityThrottle() {
        capacityThrottle = true;
        return this;
    }

    /** Successful answers report {@code -1} remaining tokens and requests (seen on the Responses API). */
    public Faults reportRemainingAsUnknown() {
        remainingUnknown = true;
        return this;
    }

    /** Successful answers carry no {@code x-ratelimit-*} headers at all. */
    public Faults omitQuotaHeaders() {
        noQuotaHeaders = true;
        return this;
    }

    /**
     * The deployment enforces, and reports in {@code x-ratelimit-limit-tokens}, only this fraction
     * of its configured TPM (Azure lowers limits when a shared pool is under pressure).
     */
    public Faults cutLimit(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
        }
        limitFactor = fraction;
        return this;
    }

    /**
     * Streams carry the content filter's annotations as Azure's do: a first chunk with
     * {@code prompt_filter_results} and no choices, {@code content_filter_results} on each chunk,
     * and, as the asynchronous filter does, an annotation chunk after the stop (and usage) chunk.
     */
    public Faults annotateStreams() {
        contentFilterChunks = true;
        return this;
    }

    /** A prompt containing this text is refused with 400 {@code content_filter}, which no retry can fix. */
    public Faults filterPromptsContaining(String marker) {
        filteredPromptMarker = marker;
        return this;
    }

    /** The deployment answers 404 DeploymentNotFound until {@code readyAt}, as a newly created one does. */
    public Faults deploymentCreatedAt(String deployment, Instant readyAt) {
        warmingUp = Optional.of(new DeploymentWarmUp(deployment, readyAt));
        return this;
    }

    public Faults clear() {
        throttle = null;
        failureStatus = 0;
        firstByteDelay = Duration.ZERO;
        dropStreamAfterChunks = -1;
        failureRate = 0;
        randomFailureStatus = 0;
        capacityThrottle = false;
        remainingUnknown = false;
        noQuotaHeaders = false;
        limitFactor = 1.0;
        contentFilterChunks = false;
        filteredPromptMarker = null;
        warmingUp = Optional.empty();
        return this;
    }

    int randomFailure(java.util.function.DoubleSupplier random) {
        double rate = failureRate;
        return rate > 0 && random.getAsDouble() < rate ? randomFailureStatus : 0;
    }

    boolean capacityThrottled() {
        return capacityThrottle;
    }

    boolean remainingUnknown() {
        return remainingUnknown;
    }

    boolean noQuotaHeaders() {
        return noQuotaHeaders;
    }

    double limitFactor() {
        return limitFactor;
    }

    boolean contentFilterChunks() {
        return contentFilterChunks;
    }

    boolean filtersPrompt(String prompt) {
        String marker = filteredPromptMarker;
        return marker != null && prompt.contains(marker);
    }

    boolean warmingUp(String deployment, Instant now) {
        return warmingUp.filter(w -> w.deployment().equals(deployment) && now.isBefore(w.readyAt())).isPresent();
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
