package dev.spillway.proxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP server on loopback that misbehaves the way no well-behaved HTTP server can: resets,
 * hangs, speaks garbage. Each accepted connection gets one {@link Behaviour}.
 */
public final class RawBackend implements AutoCloseable {

    /** What to do with a connection once the request has been read. */
    public enum Behaviour {
        /** Close with a TCP reset before any response byte. */
        RESET_BEFORE_HEADERS,
        /** Read the request, then never answer. */
        HANG_BEFORE_HEADERS,
        /** Send a 200 streaming response's headers, then nothing more. */
        HEADERS_THEN_HANG,
        /** Answer with bytes that are not HTTP. */
        MALFORMED,
        /**
         * Answer 200 with a body of {@link #HUGE_BODY_BYTES} bytes, then close the connection. Only the
         * first {@link #HUGE_BODY_FIRST_PART} is sent until {@link #letTheRestFollow()}: a proxy that
         * holds the body back until it has all of it never gets the rest, and after 10 s the
         * connection is reset.
         */
        HUGE_BODY,
        /** Send a 200 chunked SSE stream's headers and one event, then close the connection mid-stream. */
        STREAM_THEN_DIE,
        /** Send a 200 chunked JSON response's headers, then close before any body byte. */
        HEADERS_THEN_CLOSE,
        /** Answer 429 with a body that promises 1000 bytes, send a few, then never the rest. */
        THROTTLE_THEN_STALL,
        /** Answer 200 with a header that its own Connection header names as hop-by-hop. */
        CONNECTION_NAMES_A_HEADER,
        /** Send interim 103 and 100 responses, then a 200 with a two-byte JSON body. */
        INTERIM_THEN_OK
    }

    /** The one event {@link Behaviour#STREAM_THEN_DIE} sends before dying. */
    public static final String FIRST_EVENT = "data: {\"choices\":[{\"delta\":{\"content\":\"Spill\"}}]}\n\n";

    public static final long HUGE_BODY_BYTES = 64L * 1024 * 1024;
    public static final int HUGE_BODY_FIRST_PART = 1024 * 1024;

    private final ServerSocket server;
    private final Behaviour behaviour;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final CountDownLatch restMayFollow = new CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicLong bodyBytesWritten = new java.util.concurrent.atomic.AtomicLong();

    public RawBackend(Behaviour behaviour) {
        this.behaviour = behaviour;
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofVirtual().start(this::accept);
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** Lets a {@link Behaviour#HUGE_BODY} send what follows its first megabyte. */
    public void letTheRestFollow() {
        restMayFollow.countDown();
    }

    /** Body bytes a {@link Behaviour#HUGE_BODY} has handed to its socket so far: what the proxy let it send. */
    public long bodyBytesWritten() {
        return bodyBytesWritten.get();
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                open.add(socket);
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try {
            readRequest(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            switch (behaviour) {
                case RESET_BEFORE_HEADERS -> {
                    socket.setSoLinger(true, 0);
                    socket.close();
                }
                case HANG_BEFORE_HEADERS -> { }
                case HEADERS_THEN_HANG -> {
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                case INTERIM_THEN_OK -> {
                    out.write(("HTTP/1.1 103 Early Hints\r\nLink: </hint>; rel=preload\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
                            + "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                case MALFORMED -> {
                    out.write("HELLO, THIS IS NOT HTTP\r\n\r\n\0\0\0".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    socket.close();
                }
                case HUGE_BODY -> {
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\nContent-Length: "
                            + HUGE_BODY_BYTES + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    byte[] block = new byte[64 * 1024];
                    for (long sent = 0; sent < HUGE_BODY_BYTES; sent += block.length) {
                        if (sent == HUGE_BODY_FIRST_PART) {
                            out.flush();
                            if (!restMayFollow.await(10, TimeUnit.SECONDS)) {
                                socket.setSoLinger(true, 0);
                                socket.close();
                                return;
                            }
                        }
                        out.write(block);
                        bodyBytesWritten.addAndGet(block.length);
                    }
                    out.flush();
                    socket.close();
                }
                case STREAM_THEN_DIE -> {
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + Integer.toHexString(FIRST_EVENT.length()) + "\r\n" + FIRST_EVENT + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    socket.close();
                }
                case HEADERS_THEN_CLOSE -> {
                    out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    socket.close();
                }
                case THROTTLE_THEN_STALL -> {
                    out.write(("HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 1000\r\n\r\n{\"error\":").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                case CONNECTION_NAMES_A_HEADER -> {
                    out.write(("HTTP/1.1 200 OK\r\nConnection: x-hop-secret\r\nx-hop-secret: internal\r\nx-kept: yes\r\n"
                            + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            }
        } catch (IOException peerGone) {
            // the proxy went away: that is what some tests want
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads up to the end of the headers and a Content-Length body. */
    private static void readRequest(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int b;
        while ((b = in.read()) != -1) {
            head.append((char) b);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                in.readNBytes(Integer.parseInt(line.substring(15).trim()));
            }
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket socket : open) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
