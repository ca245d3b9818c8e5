package dev.spillway.proxy.route;

/**
 * What an endpoint's last successful response said about its remaining quota
 * ({@code x-ratelimit-remaining-tokens} / {@code -requests}), refilled over time and reduced by
 * what has been sent since. Azure charges a request's estimated cost when it admits it, so the
 * tokens sent since the last observation are already spent, answered or not.
 */
public final class QuotaState {

    static final long TOKEN_WINDOW_MS = 60_000;
    static final long REQUEST_WINDOW_MS = 10_000;

    private long observedAtMillis = -1;
    private long remainingTokens = -1;
    private long remainingRequests = -1;
    private long limitTokens = -1;
    private long limitRequests = -1;
    private long tokensSince;
    private long requestsSince;

    /** Estimated room on an endpoint now; {@code known} is false before any rate-limit header was seen. */
    public record Headroom(boolean known, long tokens, long requests) {
        static final Headroom UNKNOWN = new Headroom(false, Long.MAX_VALUE / 4, Long.MAX_VALUE / 4);

        /** Whether a request of this cost should fit without a 429. */
        public boolean fits(long cost) {
            return tokens >= cost && requests >= 1;
        }
    }

    /** A copy of the last observation, for status pages and gauges; -1 where nothing was seen. */
    public record Snapshot(long observedAtMillis, long remainingTokens, long remainingRequests, long limitTokens, long limitRequests) {}

    /** Any argument may be negative, meaning the header was absent. */
    synchronized void observe(long remainingTokens, long remainingRequests, long limitTokens, long limitRequests, long nowMillis) {
        if (remainingTokens < 0 && remainingRequests < 0) {
            return;
        }
        this.remainingTokens = remainingTokens;
        this.remainingRequests = remainingRequests;
        if (limitTokens > 0) {
            this.limitTokens = limitTokens;
        }
        if (limitRequests > 0) {
            this.limitRequests = limitRequests;
        }
        this.observedAtMillis = nowMillis;
        this.tokensSince = 0;
        this.requestsSince = 0;
    }

    synchronized void dispatched(long estimatedTokens) {
        tokensSince += estimatedTokens;
        requestsSince++;
    }

    public synchronized Headroom headroom(long nowMillis) {
        if (observedAtMillis < 0) {
            return Headroom.UNKNOWN;
        }
        long elapsed = Math.max(0, nowMillis - observedAtMillis);
        long tokens = estimate(remainingTokens, limitTokens, TOKEN_WINDOW_MS, elapsed) - tokensSince;
        long requests = estimate(remainingRequests, limitRequests, REQUEST_WINDOW_MS, elapsed) - requestsSince;
        return new Headroom(true, tokens, requests);
    }

    public synchronized Snapshot snapshot() {
        return new Snapshot(observedAtMillis, remainingTokens, remainingRequests, limitTokens, limitRequests);
    }

    /**
     * The last figure stands until a whole window has passed: quota comes back when the window
     * turns, not gradually, and every response brings a fresh figure anyway. After a whole window
     * the figure is stale: the limit if known, else nothing is known and the endpoint is assumed roomy.
     */
    private static long estimate(long remaining, long limit, long windowMillis, long elapsedMillis) {
        if (remaining < 0) {
            return Long.MAX_VALUE / 4;
        }
        if (elapsedMillis >= windowMillis) {
            return limit > 0 ? limit : Long.MAX_VALUE / 4;
        }
        return remaining;
    }
}
