package dev.spillway.simulator.quota;

import java.time.InstantSource;

/**
 * The rate limits of one deployment, enforced the way Azure OpenAI does: tokens per minute charged
 * at admission with the service's estimate, and requests per minute enforced in 10-second windows
 * (6 requests per 1000 TPM per minute, so a burst is refused well below the per-minute figure).
 */
public final class DeploymentQuota {

    private static final long TOKEN_WINDOW_MS = 60_000;
    private static final long REQUEST_WINDOW_MS = 10_000;

    private final long tokensPerMinute;
    private final long requestsPerWindow;
    private final InstantSource clock;

    private long tokenWindowStart;
    private long tokensUsed;
    private long requestWindowStart;
    private long requestsUsed;

    /** @param tokensPerMinute the deployment's TPM (capacity 30 means 30,000) */
    public DeploymentQuota(long tokensPerMinute, InstantSource clock) {
        if (tokensPerMinute <= 0) {
            throw new IllegalArgumentException("tokensPerMinute must be > 0, got " + tokensPerMinute);
        }
        this.tokensPerMinute = tokensPerMinute;
        // RPM = 6 per 1000 TPM, counted per 10 s window: RPM / 6 = TPM / 1000.
        this.requestsPerWindow = Math.max(1, tokensPerMinute / 1000);
        this.clock = clock;
        long now = clock.millis();
        this.tokenWindowStart = now;
        this.requestWindowStart = now;
    }

    public long tokensPerMinute() {
        return tokensPerMinute;
    }

    public long requestsPerWindow() {
        return requestsPerWindow;
    }

    /** Charges one request of the given estimated cost, or says how long to wait. */
    public synchronized Admission admit(long estimatedTokens) {
        long now = clock.millis();
        roll(now);
        if (requestsUsed + 1 > requestsPerWindow) {
            return new Admission.Throttled(Limit.REQUESTS, requestWindowStart + REQUEST_WINDOW_MS - now);
        }
        if (tokensUsed + estimatedTokens > tokensPerMinute) {
            return new Admission.Throttled(Limit.TOKENS, tokenWindowStart + TOKEN_WINDOW_MS - now);
        }
        requestsUsed++;
        tokensUsed += estimatedTokens;
        return new Admission.Admitted(tokensPerMinute - tokensUsed, requestsPerWindow - requestsUsed);
    }

    private void roll(long now) {
        if (now - tokenWindowStart >= TOKEN_WINDOW_MS) {
            tokenWindowStart = now;
            tokensUsed = 0;
        }
        if (now - requestWindowStart >= REQUEST_WINDOW_MS) {
            requestWindowStart = now;
            requestsUsed = 0;
        }
    }

    /** Which limit refused a request. */
    public enum Limit { TOKENS, REQUESTS }

    /** The outcome of {@link #admit(long)}. */
    public sealed interface Admission {
        record Admitted(long remainingTokens, long remainingRequests) implements Admission {}

        record Throttled(Limit limit, long retryAfterMillis) implements Admission {}
    }
}
