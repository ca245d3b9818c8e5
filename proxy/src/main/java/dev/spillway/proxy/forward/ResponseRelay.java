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
 */
public final class ResponseRelay {

    /** How a relay ended. */
    public enum Ending {
        /** The whole response reached the client. */
        COMPLETE,
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
        client.setStatus(response.status());
        Set<String> seen = new HashSet<>();
        for (HttpField field : response.headers()) {
            String name = field.getName();
            if (HeaderPolicy.forwardsResponseHeader(name)) {
                // The first value replaces any default the server framework set (Content-Type); later ones add.
                if (seen.add(name.toLowerCase(Locale.ROOT))) {
                    client.setHeader(name, field.getValue());
                } else {
                    client.addHeader(name, field.getValue());
                }
            }
        }
        client.setHeader(extraHeader[0], extraHeader[1]);
        byte[] buffer = new byte[BUFFER];
        long relayed = 0;
        try (InputStream in = response.body()) {
            ServletOutputStream out = client.getOutputStream();
            String contentType = response.header("Content-Type");
            if (contentType != null && contentType.startsWith("text/event-stream")) {
                // A stream's headers go out at once: the client knows it was accepted before the first token.
                client.flushBuffer();
            }
            while (true) {
                int read;
                try {
                    read = in.read(buffer);
                } catch (IOException | RuntimeException upstreamBroke) {
                    return new Result(Ending.UPSTREAM_BROKE, relayed, upstreamBroke);
                }
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
}
