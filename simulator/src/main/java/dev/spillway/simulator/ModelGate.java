package dev.spillway.simulator;

import dev.spillway.simulator.api.Answer;
import dev.spillway.simulator.api.ApiErrors;
import dev.spillway.simulator.quota.DeploymentQuota;
import dev.spillway.simulator.quota.DeploymentQuota.Admission;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * What a model call passes before the model runs, in the service's order: the deployment exists,
 * the queueing delay, the switched-on faults (capacity 429s, throttles, failures), then the
 * deployment's quota, charged with the admission estimate. Every model call (chat, embeddings,
 * responses) goes through here, so a fault or a quota applies to all of them alike.
 */
final class ModelGate {

    /** What the gate decided for one call. */
    sealed interface Outcome {
        /** Let through and charged; the answer carries these {@code x-ratelimit-*} headers. */
        record Admitted(Map<String, String> quotaHeaders) implements Outcome {}

        record Refused(Answer answer) implements Outcome {}
    }

    private final SimulatorOptions options;
    private final Map<String, DeploymentQuota> quotas;
    private final Faults faults;
    private final Traffic traffic;
    private final InstantSource clock;
    private final RandomGenerator random;

    ModelGate(SimulatorOptions options, Map<String, DeploymentQuota> quotas, Faults faults, Traffic traffic, InstantSource clock) {
        this.options = options;
        this.quotas = quotas;
        this.faults = faults;
        this.traffic = traffic;
        this.clock = clock;
        this.random = new SplittableRandom(options.seed());
    }

    /**
     * @param cost       the service's admission estimate of the call's tokens
     * @param apiVersion the request's {@code api-version}, which Azure's 429 message names
     */
    Outcome enter(String deployment, Operation operation, long cost, Optional<String> apiVersion) throws InterruptedException {
        traffic.routed(deployment);
        DeploymentQuota quota = quotas.get(deployment);
        if (quota == null || faults.warmingUp(deployment, clock.instant())) {
            return refused(ApiErrors.azure(404, "DeploymentNotFound", "The API deployment for this resource does not exist. "
                    + "If you created the deployment within the last 5 minutes, please wait a moment and try again."));
        }
        Duration delay = faults.firstByteDelay().plus(options.firstByteLatency());
        if (!delay.isZero()) {
            Thread.sleep(delay);
        }
        if (faults.capacityThrottled()) {
            // A capacity 429 is the service's shortage, not this deployment's quota: nothing is charged,
            // and there may be no retry header to go by.
            return refused(ApiErrors.azure(429, "429", "The system is experiencing high demand and cannot process your request "
                    + "at this time. Please try again later."));
        }
        Optional<Faults.Throttle> throttle = faults.throttleFor(deployment);
        if (throttle.isPresent()) {
            return refused(tooManyRequests(throttle.get().retryAfter().toMillis(), throttle.get().retryAfterMs().map(Duration::toMillis),
                    DeploymentQuota.Limit.TOKENS, operation, apiVersion));
        }
        int failure = faults.failureStatus();
        if (failure == 0) {
            failure = faults.randomFailure(this::nextRandom);
        }
        if (failure != 0) {
            return refused(failure(failure));
        }
        quota.cutLimit(faults.limitFactor());
        Admission admission = quota.admit(cost);
        if (admission instanceof Admission.Throttled throttled) {
            return refused(tooManyRequests(throttled.retryAfterMillis(), Optional.of(throttled.retryAfterMillis()), throttled.limit(),
                    operation, apiVersion));
        }
        return new Outcome.Admitted(quotaHeaders(quota, (Admission.Admitted) admission));
    }

    private static Outcome refused(Answer answer) {
        return new Outcome.Refused(answer);
    }

    /**
     * Azure's headers are estimates from a distributed limiter, not exact counters: with jitter on,
     * the remaining values are off by a few percent, and the switches give the shapes seen in the
     * field ({@code -1}, or no headers at all).
     */
    private Map<String, String> quotaHeaders(DeploymentQuota quota, Admission.Admitted admitted) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (faults.noQuotaHeaders()) {
            return headers;
        }
        boolean unknown = faults.remainingUnknown();
        headers.put("x-ratelimit-remaining-tokens", unknown ? "-1"
                : Long.toString(jitter(admitted.remainingTokens(), quota.effectiveTokensPerMinute())));
        headers.put("x-ratelimit-remaining-requests", unknown ? "-1"
                : Long.toString(jitter(admitted.remainingRequests(), quota.requestsPerWindow())));
        headers.put("x-ratelimit-limit-tokens", Long.toString(quota.effectiveTokensPerMinute()));
        headers.put("x-ratelimit-limit-requests", Long.toString(quota.requestsPerWindow()));
        return headers;
    }

    /** Off by up to the jitter either way, but never below 0 nor above the limit. */
    private long jitter(long value, long limit) {
        double spread = options.headerJitter();
        if (spread == 0 || value <= 0) {
            return value;
        }
        return Math.min(limit, Math.max(0, Math.round(value * (1 + (nextRandom() * 2 - 1) * spread))));
    }

    /** One seeded sequence for the whole account, so a run repeats; SplittableRandom is not thread-safe. */
    private double nextRandom() {
        synchronized (random) {
            return random.nextDouble();
        }
    }

    /** The service's own failures, with the codes it uses for each. */
    private static Answer failure(int status) {
        return switch (status) {
            case 408 -> ApiErrors.azure(408, "Timeout", "The operation was timeout.");
            case 503 -> ApiErrors.azure(503, "ServiceUnavailable", "The service is temporarily unable to process your request. "
                    + "Please try again later.");
            case 500 -> ApiErrors.azure(500, "server_error", "The server had an error while processing your request. Sorry about that!");
            default -> ApiErrors.azure(status, "InternalServerError", "The server had an error while processing your request.");
        };
    }

    private static Answer tooManyRequests(long retryAfterMillis, Optional<Long> retryAfterMsHeader, DeploymentQuota.Limit limit,
                                          Operation operation, Optional<String> apiVersion) {
        long retrySeconds = (Math.max(1, retryAfterMillis) + 999) / 1000;
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("retry-after", Long.toString(retrySeconds));
        retryAfterMsHeader.ifPresent(ms -> headers.put("retry-after-ms", Long.toString(Math.max(1, ms))));
        headers.put(limit == DeploymentQuota.Limit.TOKENS ? "x-ratelimit-reset-tokens" : "x-ratelimit-reset-requests",
                Long.toString(retrySeconds));
        return ApiErrors.azure(429, "429", "Requests to the " + operation.azureName() + " Operation under Azure OpenAI API version "
                + apiVersion.orElse("v1") + " have exceeded "
                + (limit == DeploymentQuota.Limit.TOKENS ? "token rate limit" : "call rate limit")
                + " of your current AIServices S0 pricing tier. Please retry after " + retrySeconds
                + " seconds. Please contact Azure support service if you would like to further increase the default rate limit.")
                .withHeaders(headers);
    }
}
