package dev.spillway.proxy.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on loopback whose every answer the test writes: the n-th request (from 1)
 * gets whatever the script returns for it, which may block first, so that a test can hold one
 * request in flight while others come and go.
 */
public final class ScriptedBackend implements AutoCloseable {

    /** A status, headers and a JSON body. */
    public record Reply(int status, Map<String, String> headers, String body) {
        public static Reply ok() {
            return new Reply(200, Map.of(), "{\"choices\":[]}");
        }
    }

    /** Answers the n-th request; may block. */
    public interface Script {
        Reply answer(int n) throws InterruptedException;
    }

    private final HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();

    public ScriptedBackend(Script script) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> answer(exchange, script));
        server.start();
    }

    private void answer(HttpExchange exchange, Script script) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            Reply reply = script.answer(requests.incrementAndGet());
            reply.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(reply.status(), body.length);
            exchange.getResponseBody().write(body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Requests received so far. */
    public int requests() {
        return requests.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
