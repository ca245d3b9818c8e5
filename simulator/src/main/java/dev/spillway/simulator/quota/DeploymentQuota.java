package dev.spillway.simulator.quota;

import java.time.InstantSource;

/**
 * The rate limits of one deployment, enforced the way Azure OpenAI does: tokens per minute charged
 * at admission with the service's estimate, and requests per minute enforced in 10-second windows
 * (6 requests per 1000 TPM per minute, so a burst is refused well below the per-minute figure),
 * both over sliding windows. A refused request still counts toward the request limit:
 * "unsuccessful requests still count toward your per-minute rate limit" (learn.microsoft.com,
 * Azure OpenAI "Quota management", rate limit best practices); it is charged no tokens.
 */
public final class DeploymentQuota {

    private static final long TOKEN_WINDOW_MS = 60_000;
    private static final long REQUEST_WINDOW_MS = 10_000;

    private final SlidingWindow tokens;
    private final SlidingWindow requests;
    private final InstantSource clock;
    /** Azure lowers a deployment's effective limit under load (a limit cut); 1.0 is none. */
    private double limitFactor = 1.0;

    /** @param tokensPerMinute the deployment's TPM (capacity 30 means 30,000) */
    public DeploymentQuota(long tokensPerMinute, InstantSource clock) {
        if (tokensPerMinute <= 0) {
            throw new IllegalArgumentException("tokensPerMinute must be > 0, got " + tokensPerMinute);
        }
        this.tokens = new SlidingWindow(tokensPerMinute, TOKEN_WINDOW_MS);
        // RPM = 6 per 1000 TPM, counted per 10 s window: RPM / 6 = TPM / 1000.
        this.requests = new SlidingWindow(Math.max(1, tokensPerMinute / 1000), REQUEST_WINDOW_MS);
        this.clock = clock;
    }

    public long tokensPerMinute() {
        return tokens.capacity();
    }

    public long requestsPerWindow() {
        return requests.capacity();
    }

    /** The token limit in force now: the configured TPM, less any cut. */
    public synchronized long effectiveTokensPerMinute() {
        return (long) Math.floor(tokens.capacity() * limitFactor);
    }

    /** Enforce (and report) only this fraction of the configured TPM, as a service under pressure does. */
    public synchronized void cutLimit(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
        }
        limitFactor = fraction;
    }

    /** Charges one request of the given estimated cost, or says how long to wait. */
    public synchronized Admission admit(long estimatedTokens) {
        long now = clock.millis();
        long tokenLimit = effectiveTokensPerMinute();
        long requestWait = requests.waitFor(1, requests.capacity(), now);
        long tokenWait = tokens.waitFor(estimatedTokens, tokenLimit, now);
        requests.add(1, now);
        if (requestWait > 0) {
            return new Admission.Throttled(Limit.REQUESTS, requestWait);
        }
        if (tokenWait > 0) {
            return new Admission.Throttled(Limit.TOKENS, tokenWait);
        }
        tokens.add(estimatedTokens, now);
        return new Admission.Admitted(tokenLimit - tokens.used(now), requests.capacity() - requests.used(now));
    }

    /** Which limit refused a request. */
    public enum Limit { TOKENS, REQUESTS }

    /** The outcome of {@link #admit(long)}. */
    public sealed interface Admission {
        record Admitted(long remainingTokens, long remainingRequests) implements Admission {}

        record Throttled(Limit limit, long retryAfterMillis) implements Admission {}
    }
}
