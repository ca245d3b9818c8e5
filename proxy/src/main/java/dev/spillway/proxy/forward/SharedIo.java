package dev.spillway.proxy.forward;

import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The threads, buffers and timers that both sides of the proxy share: a chunk read from a backend
 * is written to its client from the same pooled buffer, by a thread of the same pool, so nothing
 * crosses between two sets of threads and memory is counted once. Started here and stopped last,
 * after the server and the client that use it.
 */
public record SharedIo(QueuedThreadPool threads, ByteBufferPool buffers, Scheduler scheduler) implements AutoCloseable {

    public static SharedIo start() {
        QueuedThreadPool threads = new QueuedThreadPool(200, 4);
        threads.setName("spillway");
        Scheduler scheduler = new ScheduledExecutorScheduler("spillway-timer", false);
        try {
            threads.start();
            scheduler.start();
        } catch (Exception e) {
            throw new IllegalStateException("could not start the proxy's thread pool", e);
        }
        return new SharedIo(threads, new ArrayByteBufferPool(), scheduler);
    }

    /**
     * Lets a Jetty component use these without owning them: stopping the server must not stop the
     * pool under the client, which still has exchanges to end.
     */
    public void lendTo(ContainerLifeCycle user) {
        for (Object shared : new Object[] {threads, buffers, scheduler}) {
            if (user.contains(shared)) {
                user.unmanage(shared);
            }
        }
    }

    @Override
    public void close() {
        try {
            scheduler.stop();
            threads.stop();
        } catch (Exception e) {
            // Shutting down; nothing useful to do.
        }
    }
}
