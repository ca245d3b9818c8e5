package dev.spillway.proxy.server;

import dev.spillway.proxy.observe.ProxyMetrics;
import dev.spillway.proxy.route.RouteDecision;
import dev.spillway.proxy.route.Router;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Requests held until an account has room for them (the bounded wait): when every endpoint of a
 * deployment is throttled, or has no room by its quota estimate with an answer still to come, a
 * request waits here, in arrival order per deployment, instead of being refused, for at most the
 * configured time. A waiting request holds no thread: it is a callback in a queue. The queue is
 * looked at again when something can have changed: an attempt for the deployment was answered or
 * ended, or the earliest block or the oldest request's deadline comes (one timer per queue). Each
 * look releases requests one at a time, in order, while an endpoint has room for the first by its
 * estimate; when the router can place it only as a last resort (an endpoint whose block just ended
 * but whose room is unknown or spent), one goes, and the next waits for that one's answer, another
 * event, or the pace: the time the deployment's accounts, by the token limits they report, take
 * to free as many tokens as the request costs ({@link #PACE} while none has reported). So held
 * requests go out at the rate the accounts take them, not in a burst that the accounts would
 * answer with a 429 each; and a newcomer that could not go out before its wait runs out, at that
 * pace behind those already held, is answered 429 at once instead of after waiting for nothing.
 */
final class PendingRequests {

    /** A held request. */
    interface Waiter {
        /** Its estimated cost, to judge whether an endpoint can take it. */
        long estimatedTokens();

        /** When it must be let go if still held (arrival plus the longest wait). */
        long deadlineMillis();

        /** An account may take it now: send it. Runs outside the queue's lock. */
        void release();

        /** Held as long as allowed: answer it. Runs outside the queue's lock. */
        void expire();
    }

    /** The gap between two requests let go as a last resort while no account has reported its limit. */
    static final Duration PACE = Duration.ofMillis(100);

    private final Router router;
    private final Scheduler scheduler;
    private final java.util.concurrent.Executor executor;
    private final Duration maxWait;
    private final int maxQueued;
    private final ProxyMetrics metrics;
    private final Map<String, Queue> queues = new ConcurrentHashMap<>();
    /** Held requests count against the proxy's concurrency cap; at most half of it may be held, so the rest can serve. */
    private final int maxHeldTotal;
    private final java.util.concurrent.atomic.AtomicInteger held = new java.util.concurrent.atomic.AtomicInteger();

    /** @param executor where timer-driven looks run, so that a release (which may fetch a token) never holds the scheduler's thread */
    /** @param maxConcurrentRequests the proxy's concurrency cap, which held requests count against */
    PendingRequests(Router router, Scheduler scheduler, java.util.concurrent.Executor executor, Duration maxWait, int maxQueued,
                    int maxConcurrentRequests, ProxyMetrics metrics) {
        this.maxHeldTotal = Math.max(1, maxConcurrentRequests / 2);
        this.router = router;
        this.scheduler = scheduler;
        this.executor = executor;
        this.maxWait = maxWait;
        this.maxQueued = maxQueued;
        this.metrics = metrics;
    }

    Duration maxWait() {
        return maxWait;
    }

    boolean enabled() {
        return !maxWait.isZero() && maxQueued > 0;
    }

    /** Whether requests for this deployment are waiting, so a newcomer must queue behind them. */
    boolean anyWaiting(String deployment) {
        Queue queue = queues.get(deployment);
        return queue != null && queue.depth() > 0;
    }

    /**
     * Holds the request, at the back (a newcomer) or at the front (one released that found no room
     * after all, which keeps its place). Returns false when the queue is full.
     */
    boolean hold(String deployment, Waiter waiter, boolean front) {
        Queue queue = queues.computeIfAbsent(deployment, name -> {
            Queue created = new Queue(name);
            metrics.watchQueue(name, created::depth);
            return created;
        });
        if (!front) {
            java.util.OptionalLong pace = router.paceMillis(deployment, waiter.estimatedTokens());
            if (pace.isPresent() && queue.depth() * pace.getAsLong() >= waiter.deadlineMillis() - router.nowMillis()) {
                // Behind those already held, at the pace the accounts (by their reported limits) take them, it would wait in vain.
                return false;
            }
            if (held.get() >= maxHeldTotal) {
                return false;
            }
        }
        if (!queue.add(waiter, front)) {
            return false;
        }
        held.incrementAndGet();
        queue.look();
        return true;
    }

    private long pace(String deployment, Waiter waiter) {
        return router.paceMillis(deployment, waiter.estimatedTokens()).orElse(PACE.toMillis());
    }

    /**
     * Something changed (an answer, a freed slot, which a backend's every deployment shares): held
     * requests may go now. Queues are as many as known deployments, so few.
     */
    void changed() {
        for (Queue queue : queues.values()) {
            if (queue.depth() > 0) {
                queue.look();
            }
        }
    }

    /** Held requests per deployment, for the status page. */
    Map<String, Integer> depths() {
        Map<String, Integer> depths = new java.util.TreeMap<>();
        queues.forEach((name, queue) -> depths.put(name, queue.depth()));
        return depths;
    }

    private final class Queue {
        private final String deployment;
        private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
        private Scheduler.Task timer;
        private long timerAtMillis = Long.MAX_VALUE;
        /** When the next request may be let go as a last resort, whatever event looks at the queue before. */
        private long nextLastResortMillis;
        /** A look is under way (perhaps further up this very stack: a release whose send failed at once looks again). */
        private boolean looking;
        private boolean lookAgain;

        Queue(String deployment) {
            this.deployment = deployment;
        }

        synchronized int depth() {
            return waiting.size();
        }

        synchronized boolean add(Waiter waiter, boolean front) {
            if (!front && waiting.size() >= maxQueued) {
                return false;
            }
            if (front) {
                waiting.addFirst(waiter);
            } else {
                waiting.addLast(waiter);
            }
            return true;
        }

        /**
         * Lets go, one by one, every request at the front that may go now; then sets the timer for the
         * rest. One look at a time per queue: a look asked for meanwhile (on another thread, or by a
         * release on this one whose send failed at once) makes the running one go round again, so
         * releases never nest and none is missed.
         */
        void look() {
            synchronized (this) {
                if (looking) {
                    lookAgain = true;
                    return;
                }
                looking = true;
            }
            try {
                while (true) {
                    if (!step()) {
                        synchronized (this) {
                            if (!lookAgain) {
                                looking = false;
                                return;
                            }
                            lookAgain = false;
                        }
                    }
                }
            } catch (RuntimeException | Error e) {
                synchronized (this) {
                    looking = false;
                }
                throw e;
            }
        }

        /** One decision about the front request, acted on outside the lock; false when there is nothing more to do now. */
        private boolean step() {
            Waiter next;
            boolean release;
            synchronized (this) {
                next = waiting.peekFirst();
                if (next == null) {
                    return false;
                }
                long now = router.nowMillis();
                if (next.deadlineMillis() <= now) {
                    waiting.pollFirst();
                    release = false;
                } else {
                    RouteDecision.Exhausted full = router.fullUntil(deployment, next.estimatedTokens());
                    if (full != null) {
                        // At a cap the moment is "now" (a slot frees on an event); a block's end needs the timer.
                        long blockEnd = router.earliestBlockEnd(deployment).orElse(next.deadlineMillis());
                        schedule(Math.min(next.deadlineMillis(), full.availableAtMillis() > now ? full.availableAtMillis() : blockEnd), now);
                        return false;
                    }
                    if (!router.roomFor(deployment, next.estimatedTokens())) {
                        // A last resort: one per pace, each finding out what the accounts say before the next goes.
                        if (now < nextLastResortMillis) {
                            schedule(Math.min(next.deadlineMillis(), nextLastResortMillis), now);
                            return false;
                        }
                        nextLastResortMillis = now + pace(deployment, next);
                        waiting.pollFirst();
                        if (!waiting.isEmpty()) {
                            schedule(Math.min(waiting.peekFirst().deadlineMillis(), nextLastResortMillis), now);
                        }
                    } else {
                        waiting.pollFirst();
                    }
                    release = true;
                }
            }
            held.decrementAndGet();
            if (release) {
                next.release();
            } else {
                next.expire();
            }
            return true;
        }

        /** Wakes the queue at this moment, unless it is already due to wake earlier. */
        private void schedule(long atMillis, long nowMillis) {
            if (timer != null && timerAtMillis <= atMillis) {
                return;
            }
            if (timer != null) {
                timer.cancel();
            }
            timerAtMillis = atMillis;
            timer = scheduler.schedule(() -> executor.execute(() -> {
                synchronized (this) {
                    timer = null;
                    timerAtMillis = Long.MAX_VALUE;
                }
                look();
            }), Math.max(1, atMillis - nowMillis), TimeUnit.MILLISECONDS);
        }
    }
}
