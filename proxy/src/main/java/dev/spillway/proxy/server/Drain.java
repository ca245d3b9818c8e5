package dev.spillway.proxy.server;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The proxy's shutdown sequence (Envoy calls it draining). On SIGTERM the platform is still routing
 * to this replica for a moment, so: readiness fails at once, new requests are still taken for a
 * short grace while the platform notices, then refused with 503, and the requests and streams
 * already in flight run to completion, up to a time limit. Also counts requests in flight, which
 * is what the concurrency cap checks.
 */
final class Drain {

    enum Phase { STARTING, SERVING, DRAINING, REFUSING, STOPPED }

    private final AtomicInteger inFlight = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private volatile Phase phase = Phase.STARTING;

    void serving() {
        phase = Phase.SERVING;
    }

    Phase phase() {
        return phase;
    }

    /** What /readyz reports. */
    boolean ready() {
        return phase == Phase.SERVING;
    }

    /**
     * Counts a request in, unless the proxy is refusing work or already has {@code max} in flight.
     * Every successful call must be paired with {@link #exit()}.
     */
    Admission enter(int max) {
        Phase now = phase;
        if (now != Phase.SERVING && now != Phase.DRAINING) {
            return Admission.SHUTTING_DOWN;
        }
        if (inFlight.incrementAndGet() > max) {
            exit();
            return Admission.OVERLOADED;
        }
        return Admission.ADMITTED;
    }

    void exit() {
        if (inFlight.decrementAndGet() == 0) {
            lock.lock();
            try {
                idle.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    int inFlight() {
        return inFlight.get();
    }

    /**
     * Runs the sequence; returns once nothing is in flight or the timeout has passed.
     *
     * @return the requests still in flight when it returned (0 after a clean drain)
     */
    int drain(Duration grace, Duration timeout) throws InterruptedException {
        phase = Phase.DRAINING;
        Thread.sleep(grace);
        phase = Phase.REFUSING;
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (inFlight.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                idle.awaitNanos(Math.min(left, 100_000_000L));
            }
        } finally {
            lock.unlock();
        }
        phase = Phase.STOPPED;
        return inFlight.get();
    }

    enum Admission { ADMITTED, OVERLOADED, SHUTTING_DOWN }
}
