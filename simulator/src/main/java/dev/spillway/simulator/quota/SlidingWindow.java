package dev.spillway.simulator.quota;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A rate limit over a sliding window: what was admitted comes back as each admission ages past
 * the window, not all at once when a fixed window turns. Azure OpenAI's limits behave this way
 * (learn.microsoft.com, Azure OpenAI "Quota management": TPM and RPM are evaluated over a moving
 * window, requests over 1 or 10 seconds), which is why a burst that empties a deployment is paid
 * back gradually. Not thread-safe; {@link DeploymentQuota} guards it.
 */
final class SlidingWindow {

    private record Admission(long at, long amount) {}

    private final long capacity;
    private final long windowMillis;
    private final Deque<Admission> admitted = new ArrayDeque<>();
    private long used;

    SlidingWindow(long capacity, long windowMillis) {
        this.capacity = capacity;
        this.windowMillis = windowMillis;
    }

    long capacity() {
        return capacity;
    }

    /** What is still counted at {@code now}. */
    long used(long now) {
        expire(now);
        return used;
    }

    /**
     * How long until {@code amount} fits under {@code limit} (0: it fits now). An amount larger
     * than the limit itself never fits; the answer is then a whole window, as the service says.
     */
    long waitFor(long amount, long limit, long now) {
        expire(now);
        if (used + amount <= limit) {
            return 0;
        }
        if (amount > limit) {
            return windowMillis;
        }
        long stillCounted = used;
        for (Admission admission : admitted) {
            stillCounted -= admission.amount();
            if (stillCounted + amount <= limit) {
                return Math.max(1, admission.at() + windowMillis - now);
            }
        }
        return windowMillis;
    }

    void add(long amount, long now) {
        expire(now);
        admitted.addLast(new Admission(now, amount));
        used += amount;
    }

    private void expire(long now) {
        while (!admitted.isEmpty() && admitted.peekFirst().at() + windowMillis <= now) {
            used -= admitted.removeFirst().amount();
        }
    }
}
