package dev.spillway.proxy.forward;

import dev.spillway.proxy.observe.UsageScanner;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;

/**
 * Copies a backend's response to the client as it arrives: status, the headers that may cross,
 * then the body, flushed after every read so that server-sent events pass through chunk by chunk.
 * Nothing is retried from here on; the caller learns how the copy ended.
 *
 * <p>A body is never framed by closing the connection, since then a backend dying mid-body would
 * look like a clean end: a body of unknown length goes out chunked (HTTP/1.1), also to clients
 * that sent {@code Connection: close}, so that a cut leaves it without its final chunk. A body
 * with a known length keeps its {@code Content-Length}, so a cut leaves it short. A non-streaming
 * response commits nothing until its first body byte (or its end) has arrived, so a backend that
 * breaks before that is an ordinary failed attempt; a stream's headers go out at once instead.
 */
public final class ResponseRelay {

    /** How a relay ended. */
    public enum Ending {
        /** The whole response reached the client. */
        COMPLETE,
        /** The backend's response broke before anything was sent to the client: the attempt failed, and the client's response is untouched. */
        BROKE_BEFORE_BODY,
        /** The backend's response broke; the client's must be cut off. */
        UPSTREAM_BROKE,
        /** The client went away; the backend request was closed. */
        CLIENT_GONE
    }

    /** @param bytes body bytes that reached the client */
    public record Result(Ending ending, long bytes, Exception cause) {}

    private static final int BUFFER = 4096;

    /**
     * @param extraHeader a header the proxy adds (name, value), such as {@code x-spillway-backend}
     * @param usage       sees every body byte, to find the reported token usage
     */
    public Result relay(UpstreamResult.Response response, HttpServletResponse client, String[] extraHeader, UsageScanner usage) {
        String contentType = response.header("Content-Type");
        boolean stream = contentType != null && contentType.startsWith("text/event-stream");
        byte[] buffer = new byte[BUFFER];
        long relayed = 0;
        try (InputStream in = response.body()) {
            int read = 0;
            if (!stream) {
                try {
                    read = in.read(buffer);
                } catch (IOException | RuntimeException upstreamBroke) {
                    return new Result(Ending.BROKE_BEFORE_BODY, 0, upstreamBroke);
                }
            }
            writeHead(response, client, extraHeader, read >= 0);
            ServletOutputStream out = client.getOutputStream();
            if (stream) {
                // A stream's headers go out at once: the client knows it was accepted before the first token.
                client.flushBuffer();
            }
            // A non-stream's first read is in hand already.
            boolean inHand = !stream;
            while (true) {
                if (!inHand) {
                    try {
                        read = in.read(buffer);
                    } catch (IOException | RuntimeException upstreamBroke) {
                        return new Result(Ending.UPSTREAM_BROKE, relayed, upstreamBroke);
                    }
                }
                inHand = false;
                if (read < 0) {
                    // Closing completes the response here (the last chunk is written now, not after the
                    // handler returns), so nothing counts a request done before its client has it all.
                    out.close();
                    return new Result(Ending.COMPLETE, relayed, null);
                }
                usage.accept(buffer, 0, read);
                try {
                    out.write(buffer, 0, read);
                    out.flush();
                } catch (IOException clientGone) {
                    // Leaving this block closes the upstream stream, which aborts the backend request.
                    return new Result(Ending.CLIENT_GONE, relayed, clientGone);
                }
                relayed += read;
            }
        } catch (IOException closing) {
            return new Result(Ending.CLIENT_GONE, relayed, closing);
        }
    }

    /** @param bodyFollows false when the backend's body is known to be empty */
    private static void writeHead(UpstreamResult.Response response, HttpServletResponse client, String[] extraHeader, boolean bodyFollows) {
        client.setStatus(response.status());
        Set<String> connectionTokens = HeaderPolicy.connectionTokens(response.headers().getValuesList("Connection"));
        Set<String> seen = new HashSet<>();
        for (HttpField field : response.headers()) {
            String name = field.getName();
            if (HeaderPolicy.forwardsResponseHeader(name, connectionTokens)) {
                // The first value replaces any default the server framework set (Content-Type); later ones add.
                if (seen.add(name.toLowerCase(Locale.ROOT))) {
                    client.setHeader(name, field.getValue());
                } else {
                    client.addHeader(name, field.getValue());
                }
            }
        }
        if (bodyFollows && !seen.contains("content-length")) {
            // Jetty otherwise frames an unknown length by closing the connection when the client
            // asked for close; chunked is honoured on HTTP/1.1 whatever the client's Connection says.
            client.setHeader("Transfer-Encoding", "chunked");
        }
        client.setHeader(extraHeader[0], extraHeader[1]);
    }
}
