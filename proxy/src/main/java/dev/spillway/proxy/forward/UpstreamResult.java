package dev.spillway.proxy.forward;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.util.thread.Scheduler;

/** How one attempt ended: a response whose headers arrived, or a failure before them. */
public sealed interface UpstreamResult {

    /** The backend answered; the body is still to be read (or discarded). */
    final class Response implements UpstreamResult {
        private static final int DRAIN_LIMIT = 64 * 1024;
        /**
         * A 429 or 5xx the client will not see must not hold the request: the next backend is
         * waiting. Long enough for a small error body on a healthy connection to arrive.
         */
        static final Duration DRAIN_DEADLINE = Duration.ofMillis(250);

        private final int status;
        private final HttpFields headers;
        private final InputStream body;
        private final Scheduler scheduler;

        Response(int status, HttpFields headers, InputStream body, Scheduler scheduler) {
            this.status = status;
            this.headers = headers;
            this.body = body;
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

        public InputStream body() {
            return body;
        }

        /**
         * Drops a response the client will not see. A small body that arrives promptly is read to its
         * end so the connection can be reused; a large or slow one is cut off (closing the stream
         * aborts the exchange and its connection), so discarding never waits more than {@link #DRAIN_DEADLINE}.
         */
        public void discard() {
            Scheduler.Task deadline = scheduler.schedule(this::closeQuietly, DRAIN_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            try (InputStream in = body) {
                in.readNBytes(DRAIN_LIMIT);
            } catch (IOException | RuntimeException e) {
                // Nothing to do: the response was going to be dropped anyway.
            } finally {
                deadline.cancel();
            }
        }

        private void closeQuietly() {
            try {
                body.close();
            } catch (IOException | RuntimeException e) {
                // Already closed or broken: either way nothing more will be read.
            }
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
