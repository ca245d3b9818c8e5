package dev.spillway.proxy.server;

import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Buffers a request body, up to a limit, so it can be replayed to another backend after a failover.
 * A body over the limit is refused before it is read (by its Content-Length) or as soon as it
 * passes the limit (when chunked), so an oversized upload cannot fill the heap. A body that
 * trickles in slower than the deadline allows is refused with 408: the connection's idle timeout
 * alone would let a byte every few seconds hold a request open forever.
 */
final class RequestBodyReader {

    private final long maxBytes;
    private final long deadlineNanos;

    RequestBodyReader(long maxBytes, java.time.Duration deadline) {
        this.maxBytes = maxBytes;
        this.deadlineNanos = deadline.toNanos();
    }

    byte[] read(HttpServletRequest request) throws BadRequestException, IOException {
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            throw tooLarge();
        }
        InputStream in = request.getInputStream();
        ByteArrayOutputStream body = new ByteArrayOutputStream(declared > 0 ? (int) declared : 1024);
        byte[] buffer = new byte[16 * 1024];
        long total = 0;
        long started = System.nanoTime();
        int read;
        while ((read = in.read(buffer)) != -1) {
            if (System.nanoTime() - started > deadlineNanos) {
                throw new BadRequestException(408, "request_timeout", "The request body arrived too slowly. Send the whole body "
                        + "within " + deadlineNanos / 1_000_000 + " ms (SPILLWAY_BODY_TIMEOUT_MS on the proxy).");
            }
            total += read;
            if (total > maxBytes) {
                throw tooLarge();
            }
            body.write(buffer, 0, read);
        }
        return body.toByteArray();
    }

    private BadRequestException tooLarge() {
        return new BadRequestException(413, "request_too_large", "The request body is larger than this proxy's limit of "
                + maxBytes + " bytes. Send a smaller request, or raise SPILLWAY_MAX_BODY_BYTES on the proxy.");
    }
}
