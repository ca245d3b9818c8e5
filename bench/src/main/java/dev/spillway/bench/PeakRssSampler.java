package dev.spillway.bench;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples a process tree's RSS every 200 ms on a daemon thread and keeps the peak, so that a
 * section reports the most a proxy held rather than what it held when the load ended.
 */
final class PeakRssSampler implements AutoCloseable {

    private final AtomicLong peak = new AtomicLong();
    private final Thread thread;

    PeakRssSampler(ProcessTree process) {
        peak.set(process.usage().rssBytes());
        thread = Thread.ofPlatform().daemon().name("rss-sampler-" + process.pid()).start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(200);
                    long rss = process.usage().rssBytes();
                    peak.accumulateAndGet(rss, Math::max);
                }
            } catch (InterruptedException stop) {
                // sampling over
            } catch (IllegalStateException gone) {
                // the process ended: its peak is what was seen
            }
        });
    }

    long peakBytes() {
        return peak.get();
    }

    @Override
    public void close() throws InterruptedException {
        thread.interrupt();
        thread.join();
    }
}
