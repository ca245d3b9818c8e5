package dev.spillway.proxy.route;

/**
 * What an endpoint's last successful response said about its remaining quota
 * ({@code x-ratelimit-remaining-tokens} / {@code -requests}), refilled over time and reduced by
 * what has been sent since. Azure charges a request's estimated cost when it admits it, so the
 * tokens sent since the last observation are already spent, answered or not. A response's figure
 * covers what was sent up to its own request, not what was sent while it was in flight: each
 * attempt carries a {@link Mark} of the running totals when it was sent, and an observation keeps
 * counting everything sent after that mark. An answer to an older request than the last one
 * observed says nothing newer, and is ignored.
 */
public final class QuotaState {

    static final long TOKEN_WINDOW_MS = 60_000;
    static final long REQUEST_WINDOW_MS = 10_000;

    private long observedAtMillis = -1;
    private long remainingTokens = -1;
    private long remainingRequests = -1;
    private long limitTokens = -1;
    private long limitRequests = -1;
    /** Running totals of everything ever sent to this endpoint. */
    private long tokensSent;
    private long requestsSent;
    /** The totals as they were when the observed response's request was sent. */
    private long tokensSentBeforeObservation;
    private long requestsSentBeforeObservation;

    /** Running totals when an attempt was sent, itself included. */
    public record Mark(long tokensSent, long requestsSent) {}

    /**
     * Estimated room on an endpoint now; {@code known} is false while the endpoint has not reported
     * its remaining tokens (no header yet, none at all, or {@code -1}).
     */
    public record Headroom(boolean known, long tokens, long requests) {
        static final Headroom UNKNOWN = new Headroom(false, Long.MAX_VALUE / 4, Long.MAX_VALUE / 4);

        /** Whether a request of this cost should fit without a 429. */
        public boolean fits(long cost) {
            return tokens >= cost && requests >= 1;
        }
    }

    /** A copy of the last observation, for status pages and gauges; -1 where nothing was seen. */
    public record Snapshot(long observedAtMillis, long remainingTokens, long remainingRequests, long limitTokens, long limitRequests) {}

    /** As {@link #observe(Mark, long, long, long, long, long)} for a response to the latest request sent. */
    synchronized void observe(long remainingTokens, long remainingRequests, long limitTokens, long limitRequests, long nowMillis) {
        observe(new Mark(tokensSent, requestsSent), remainingTokens, remainingRequests, limitTokens, limitRequests, nowMillis);
    }

    /**
     * @param sent the mark of the attempt whose response this is
     * Any other argument may be negative, meaning the header was absent.
     */
    synchronized void observe(Mark sent, long remainingTokens, long remainingRequests, long limitTokens, long limitRequests, long nowMillis) {
        if (remainingTokens < 0 && remainingRequests < 0) {
            return;
        }
        if (observedAtMillis >= 0 && sent.requestsSent() < requestsSentBeforeObservation) {
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
        this.tokensSentBeforeObservation = Math.min(sent.tokensSent(), tokensSent);
        this.requestsSentBeforeObservation = Math.min(sent.requestsSent(), requestsSent);
    }

    synchronized Mark dispatched(long estimatedTokens) {
        tokensSent += estimatedTokens;
        requestsSent++;
        return new Mark(tokensSent, requestsSent);
    }

    public synchronized Headroom headroom(long nowMillis) {
        if (observedAtMillis < 0) {
            return Headroom.UNKNOWN;
        }
        long elapsed = Math.max(0, nowMillis - observedAtMillis);
        long tokens = estimate(remainingTokens, limitTokens, TOKEN_WINDOW_MS, elapsed) - (tokensSent - tokensSentBeforeObservation);
        long requests = estimate(remainingRequests, limitRequests, REQUEST_WINDOW_MS, elapsed) - (requestsSent - requestsSentBeforeObservation);
        boolean tokensKnown = remainingTokens >= 0 && elapsed < TOKEN_WINDOW_MS || elapsed >= TOKEN_WINDOW_MS && limitTokens > 0;
        return new Headroom(tokensKnown, tokens, requests);
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
