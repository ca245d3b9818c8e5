package dev.spillway.proxy.server;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A total deadline for each request's line and headers, like nginx's {@code client_header_timeout}.
 * The idle timeout alone restarts on every byte, so a client sending one header byte a second
 * would hold its connection for hours before the header size limit tripped. Jetty has no such
 * deadline, so this sweeps the connector's connections a few times per deadline and closes any
 * whose parser has been inside a request's headers for longer than the deadline (Jetty notes when
 * a request's first byte arrived). A connection waiting between requests is the idle timeout's.
 */
final class HeaderDeadline extends AbstractLifeCycle {

    private final Connector connector;
    private final long deadlineNanos;
    private final long sweepEveryMillis;
    private volatile Scheduler.Task next;

    HeaderDeadline(Connector connector, Duration deadline) {
        this.connector = connector;
        this.deadlineNanos = deadline.toNanos();
        // Closes within the deadline plus a tenth of it, at a cost of one pass over the connections per sweep.
        this.sweepEveryMillis = Math.clamp(deadline.toMillis() / 10, 20, 1_000);
    }

    @Override
    protected void doStart() {
        schedule();
    }

    @Override
    protected void doStop() {
        Scheduler.Task task = next;
        if (task != null) {
            task.cancel();
        }
    }

    private void schedule() {
        if (isRunning() || isStarting()) {
            next = connector.getScheduler().schedule(this::sweep, sweepEveryMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void sweep() {
        try {
            long now = System.nanoTime();
            for (EndPoint endPoint : connector.getConnectedEndPoints()) {
                if (endPoint.getConnection() instanceof HttpConnection http && overdue(http.getParser(), now)) {
                    endPoint.close();
                }
            }
        } finally {
            schedule();
        }
    }

    /** Read from the scheduler's thread without the connection's lock: a stale read only delays the close by one sweep. */
    private boolean overdue(HttpParser parser, long now) {
        return !parser.isStart() && parser.inHeaderState() && now - parser.getBeginNanoTime() > deadlineNanos;
    }
}
