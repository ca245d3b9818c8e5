package dev.spillway.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * An HTTP client that writes the request bytes exactly as given, over a plain socket: HTTP client
 * libraries normalise paths and manage connection headers, which is exactly what these tests must
 * control. Reads the answer until the server closes the connection.
 */
public final class RawClient {

    private RawClient() {}

    /**
     * What came back: every byte until the server closed, whether it closed (rather than the read
     * timing out), and whether it ended with a reset rather than an orderly close.
     */
    public record Answer(String text, boolean closed, boolean reset) {
        public String statusLine() {
            int end = text.indexOf("\r\n");
            return end < 0 ? text : text.substring(0, end);
        }

        public String head() {
            int end = text.indexOf("\r\n\r\n");
            return end < 0 ? text : text.substring(0, end + 2);
        }

        public String body() {
            int end = text.indexOf("\r\n\r\n");
            return end < 0 ? "" : text.substring(end + 4);
        }
    }

    /** @param request the whole request, request line to body, with CRLF line ends */
    public static Answer send(String proxyUrl, String request, Duration timeout) {
        URI uri = URI.create(proxyUrl);
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout((int) timeout.toMillis());
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                int read;
                while ((read = in.read(buffer)) != -1) {
                    answer.write(buffer, 0, read);
                }
            } catch (SocketTimeoutException stillOpen) {
                return new Answer(answer.toString(StandardCharsets.ISO_8859_1), false, false);
            } catch (IOException reset) {
                return new Answer(answer.toString(StandardCharsets.ISO_8859_1), true, true);
            }
            return new Answer(answer.toString(StandardCharsets.ISO_8859_1), true, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A request with the test client key, {@code Connection: close}, and a small chat body. */
    public static String post(String path, String version, String body, String... extraHeaderLines) {
        StringBuilder request = new StringBuilder("POST " + path + " " + version + "\r\nHost: proxy\r\napi-key: "
                + RunningProxy.CLIENT_KEY + "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n");
        for (String line : extraHeaderLines) {
            request.append(line).append("\r\n");
        }
        return request.append("\r\n").append(body).toString();
    }
}
