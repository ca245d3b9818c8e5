package dev.spillway.proxy.forward;

import java.io.IOException;
import java.io.InputStream;
import org.eclipse.jetty.http.HttpFields;

/** How one attempt ended: a response whose headers arrived, or a failure before them. */
public sealed interface UpstreamResult {

    /** The backend answered; the body is still to be read (or discarded). */
    final class Response implements UpstreamResult {
        private static final int DRAIN_LIMIT = 64 * 1024;

        private final int status;
        private final HttpFields headers;
        private final InputStream body;

        Response(int status, HttpFields headers, InputStream body) {
            this.status = status;
            this.headers = headers;
            this.body = body;
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
         * Drops a response the client will not see. A small body is read to its end so the connection
         * can be reused; a large or slow one is cut off, which closes the connection.
         */
        public void discard() {
            try (InputStream in = body) {
                in.readNBytes(DRAIN_LIMIT);
            } catch (IOException | RuntimeException e) {
                // Nothing to do: the response was going to be dropped anyway.
            }
        }
    }

    /** No response headers arrived. */
    record Failure(Kind kind, String detail) implements UpstreamResult {}

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
