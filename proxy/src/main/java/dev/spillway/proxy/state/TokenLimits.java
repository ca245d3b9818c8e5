package dev.spillway.proxy.state;

/**
 * A caller's token budget, as the store enforces it. A limit of {@link #NONE} is not enforced.
 *
 * @param perMinute tokens admitted within any sliding 60 s
 * @param quota     tokens admitted within one calendar {@code period}
 */
public record TokenLimits(long perMinute, long quota, QuotaPeriod period) {

    public static final long NONE = 0;

    public TokenLimits {
        if (perMinute < 0 || quota < 0) {
            throw new IllegalArgumentException("limits are positive, or NONE");
        }
        if (quota != NONE && period == null) {
            throw new IllegalArgumentException("a quota needs its period");
        }
    }

    public boolean limitsMinute() {
        return perMinute != NONE;
    }

    public boolean limitsQuota() {
        return quota != NONE;
    }

    public boolean any() {
        return limitsMinute() || limitsQuota();
    }
}
