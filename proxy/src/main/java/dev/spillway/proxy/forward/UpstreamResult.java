package dev.spillway.proxy.forward;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.thread.Scheduler;

/** How one attempt ended: a response whose headers arrived, or a failure before them. */
public sealed interface UpstreamResult {

    /**
     * The backend answered; the body is still to be read, as a {@link Content.Source} that yields
     * what the backend sends when it sends it (or discarded).
     */
    final class Response implements UpstreamResult {
        private static final int DRAIN_LIMIT = 64 * 1024;
        /**
         * A 429 or 5xx the client will not see must not keep its connection busy for long. Long
         * enough for a small error body on a healthy connection to arrive, so the connection is reused.
         */
        static final Duration DRAIN_DEADLINE = Duration.ofMillis(250);

        private final int status;
        private final HttpFields headers;
        private final Content.Source body;
        private final org.eclipse.jetty.client.Response exchange;
        private final Scheduler scheduler;

        Response(org.eclipse.jetty.client.Response exchange, Content.Source body, Scheduler scheduler) {
            this.status = exchange.getStatus();
            this.headers = exchange.getHeaders();
            this.body = body;
            this.exchange = exchange;
            this.scheduler = scheduler;
        }

        public int status() {
            return status;
        }

        public HttpFields headers() {
            return headers;
        }

        public String header(String name) {
            return headers.get(name);
        }

        public Content.Source body() {
            return body;
        }

        /** Ends the exchange with the backend, and its connection, whatever it was doing. */
        public void abort(Throwable cause) {
            exchange.abort(cause);
        }

        /**
         * Reads the start of the body, at most {@code max} bytes, and hands it over; a longer body is
         * cut off there (its exchange aborted). For short answers the proxy reads itself, such as a
         * lookup's, which are bounded in time by their exchange's own timeout.
         */
        public void readPrefix(int max, Consumer<byte[]> done) {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            consume(max - 1L, bytes, max, "read enough of a long body", () -> done.accept(bytes.toByteArray()));
        }

        /**
         * Drops a response the client will not see, without waiting for it: a small body that
         * arrives promptly is read to its end so the connection can be reused; a large or slow one
         * is cut off (aborting the exchange and its connection) after {@link #DRAIN_DEADLINE}.
         */
        public void discard() {
            Scheduler.Task deadline = scheduler.schedule(() -> abort(new java.util.concurrent.TimeoutException("discarded")),
                    DRAIN_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            consume(DRAIN_LIMIT, null, 0, "discarded a large body", deadline::cancel);
        }

        /**
         * Reads the body as it comes until its end, or until more than {@code limit} bytes have come
         * (then the exchange is aborted); keeps the first {@code keepAtMost} bytes in {@code kept} if
         * given; then runs {@code finished}.
         */
        private void consume(long limit, java.io.ByteArrayOutputStream kept, int keepAtMost, String cutOff, Runnable finished) {
            new Runnable() {
                private long read;

                @Override
                public void run() {
                    while (true) {
                        Content.Chunk chunk = body.read();
                        if (chunk == null) {
                            body.demand(this);
                            return;
                        }
                        boolean failed = Content.Chunk.isFailure(chunk);
                        boolean end = chunk.isLast() || failed;
                        if (!failed) {
                            read += chunk.remaining();
                            if (kept != null && kept.size() < keepAtMost) {
                                java.nio.ByteBuffer buffer = chunk.getByteBuffer();
                                byte[] copy = new byte[Math.min(buffer.remaining(), keepAtMost - kept.size())];
                                buffer.get(buffer.position(), copy, 0, copy.length);
                                kept.writeBytes(copy);
                            }
                        }
                        chunk.release();
                        if (end || read > limit) {
                            if (!end) {
                                abort(new IllegalStateException(cutOff));
                            }
                            finished.run();
                            return;
                        }
                    }
                }
            }.run();
        }
    }

    /**
     * No response headers arrived.
     *
     * @param sent whether any of the request may have reached the backend: false only when the
     *             exchange failed before the request began to be written (no connection, no
     *             credential), so that the request cannot have had any effect there
     */
    record Failure(Kind kind, String detail, boolean sent) implements UpstreamResult {}

    enum Kind {
        /** Connection refused, DNS failure, connect timeout: the request never reached the backend. */
        CONNECT,
        /** Connected, but no response headers within the headers timeout. */
        TIMEOUT,
        /** The connection broke while sending or before the headers. */
        TRANSPORT,
        /** The proxy could not get its own credential for the backend. */
        CREDENTIAL
    }
}
