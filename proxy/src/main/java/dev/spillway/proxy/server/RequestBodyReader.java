package dev.spillway.proxy.server;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Buffers a request body, up to a limit, so it can be replayed to another backend after a failover.
 * Reading waits for no thread: each chunk is copied as the connection delivers it. A body over
 * the limit is refused before it is read (by its Content-Length) or as soon as it passes the limit
 * (when chunked), so an oversized upload cannot fill the heap. A body that trickles in slower than
 * the deadline allows is refused with 408: the connection's idle timeout alone would let a byte
 * every few seconds hold a request open forever.
 */
final class RequestBodyReader {

    /** Where a read ends: the whole body, or the answer that refuses it. */
    interface Outcome {
        void body(byte[] body);

        void refused(ErrorAnswer answer);
    }

    private final long maxBytes;
    private final Duration deadline;
    private final Scheduler scheduler;

    RequestBodyReader(long maxBytes, Duration deadline, Scheduler scheduler) {
        this.maxBytes = maxBytes;
        this.deadline = deadline;
        this.scheduler = scheduler;
    }

    void read(Request request, Outcome outcome) {
        long declared = request.getLength();
        if (declared > maxBytes) {
            outcome.refused(tooLarge());
            return;
        }
        if (declared == 0) {
            outcome.body(new byte[0]);
            return;
        }
        new Read(request, declared, outcome).start();
    }

    private final class Read implements Runnable {
        private final Request request;
        private final Outcome outcome;
        private final AtomicBoolean ended = new AtomicBoolean();
        private byte[] body;
        private int length;
        private volatile Scheduler.Task timer;

        Read(Request request, long declared, Outcome outcome) {
            this.request = request;
            this.outcome = outcome;
            this.body = new byte[declared > 0 ? (int) declared : 1024];
        }

        void start() {
            run();
            // Most bodies come with their headers and are read by now; only one still arriving needs a clock.
            if (!ended.get()) {
                timer = scheduler.schedule(this::tooSlow, deadline.toMillis(), TimeUnit.MILLISECONDS);
                if (ended.get()) {
                    timer.cancel();
                }
            }
        }

        @Override
        public void run() {
            while (!ended.get()) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    // The connection went idle mid-body (408, as a trickle gets), or the body was cut or malformed.
                    end(null, chunk.getFailure() instanceof java.util.concurrent.TimeoutException ? RequestBodyReader.tooSlow(deadline)
                            : ErrorAnswer.of(400, "invalid_body", "The request body ended before its declared length "
                                    + "or is not valid chunked encoding. Send the whole body, framed as its headers say.")
                                    .withHeader("Connection", "close"));
                    return;
                }
                int count = chunk.remaining();
                if ((long) length + count > maxBytes) {
                    chunk.release();
                    end(null, tooLarge());
                    return;
                }
                if (length + count > body.length) {
                    body = Arrays.copyOf(body, (int) Math.min(maxBytes, Math.max((long) body.length * 2, (long) length + count)));
                }
                chunk.getByteBuffer().get(body, length, count);
                length += count;
                boolean last = chunk.isLast();
                chunk.release();
                if (last) {
                    end(length == body.length ? body : Arrays.copyOf(body, length), null);
                    return;
                }
            }
        }

        private void tooSlow() {
            end(null, RequestBodyReader.tooSlow(deadline));
        }

        private void end(byte[] complete, ErrorAnswer refusal) {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            Scheduler.Task running = timer;
            if (running != null) {
                running.cancel();
            }
            if (complete != null) {
                outcome.body(complete);
            } else {
                outcome.refused(refusal);
            }
        }
    }

    /** The rest of the body is not read, so the connection cannot carry another request: it is closed, and the answer says so. */
    private ErrorAnswer tooLarge() {
        return ErrorAnswer.of(413, "request_too_large", "The request body is larger than this proxy's limit of "
                + maxBytes + " bytes. Send a smaller request, or raise SPILLWAY_MAX_BODY_BYTES on the proxy.")
                .withHeader("Connection", "close");
    }

    private static ErrorAnswer tooSlow(Duration deadline) {
        return ErrorAnswer.of(408, "request_timeout", "The request body arrived too slowly. Send the whole body "
                + "within " + deadline.toMillis() + " ms (SPILLWAY_BODY_TIMEOUT_MS on the proxy).")
                .withHeader("Connection", "close");
    }
}
