package dev.spillway.simulator;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Counters of the calls a simulated account received, and the most recent requests in full. */
public final class Traffic {

    private static final int KEPT_REQUESTS = 256;

    private final AtomicLong total = new AtomicLong();
    private final Map<String, AtomicLong> byDeployment = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicLong> byStatus = new ConcurrentHashMap<>();
    private final Deque<ReceivedRequest> recent = new ArrayDeque<>();
    private final AtomicLong streamsAbandoned = new AtomicLong();
    private final AtomicLong streamsOpen = new AtomicLong();

    void received(ReceivedRequest request) {
        total.incrementAndGet();
        synchronized (recent) {
            if (recent.size() == KEPT_REQUESTS) {
                recent.removeFirst();
            }
            recent.addLast(request);
        }
    }

    void routed(String deployment) {
        byDeployment.computeIfAbsent(deployment, d -> new AtomicLong()).incrementAndGet();
    }

    void answered(int status) {
        byStatus.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
    }

    void streamOpened() {
        streamsOpen.incrementAndGet();
    }

    void streamClosed(boolean abandoned) {
        streamsOpen.decrementAndGet();
        if (abandoned) {
            streamsAbandoned.incrementAndGet();
        }
    }

    /** Streams this account is sending right now. */
    public long streamsOpen() {
        return streamsOpen.get();
    }

    /** Streams the caller went away from before the end (the connection closed under a write). */
    public long streamsAbandoned() {
        return streamsAbandoned.get();
    }

    /** Every HTTP request that reached this account, whatever its outcome. */
    public long calls() {
        return total.get();
    }

    /** Requests that named this deployment (by path or by {@code model}). */
    public long calls(String deployment) {
        AtomicLong count = byDeployment.get(deployment);
        return count == null ? 0 : count.get();
    }

    /** Responses sent with this status. */
    public long answered429() {
        return answeredWith(429);
    }

    public long answeredWith(int status) {
        AtomicLong count = byStatus.get(status);
        return count == null ? 0 : count.get();
    }

    /** The most recent requests, oldest first (at most 256). */
    public List<ReceivedRequest> recent() {
        synchronized (recent) {
            return new ArrayList<>(recent);
        }
    }

    public void reset() {
        total.set(0);
        byDeployment.clear();
        byStatus.clear();
        streamsAbandoned.set(0);
        synchronized (recent) {
            recent.clear();
        }
    }
}
