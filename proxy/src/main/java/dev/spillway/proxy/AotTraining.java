package dev.spillway.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.spillway.proxy.config.ProxyConfig;
import dev.spillway.proxy.config.ProxyConfigReader;
import dev.spillway.proxy.server.ProxyServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The training run for the image's ahead-of-time cache (JDK 25, JEP 483/514/515):
 * {@code java -XX:AOTCacheOutput=spillway.aot -cp spillway-proxy.jar dev.spillway.proxy.AotTraining}
 * serves a few thousand requests, plain and streamed, through a real proxy to a stand-in account
 * on loopback, so that the cache holds the forward path's classes, already loaded and linked, and
 * its method profiles. A replica started with {@code -XX:AOTCache} then skips that work and
 * compiles its hot code sooner: it takes traffic cold, and this is what makes cold shorter.
 */
public final class AotTraining {

    private static final String KEY = "aot-training";
    private static final int REQUESTS = 4000;

    private AotTraining() {}

    public static void main(String[] args) throws Exception {
        int served = run(REQUESTS);
        if (served < REQUESTS) {
            System.err.println("spillway: AOT training: only " + served + " of " + REQUESTS + " requests were served");
            System.exit(1);
        }
        System.exit(0);
    }

    /** @return how many of the requests the proxy answered with 200 */
    static int run(int requests) throws Exception {
        HttpServer account = standInAccount();
        ProxyConfig config = new ProxyConfigReader().read(Map.of(
                "SPILLWAY_API_KEYS", KEY,
                "SPILLWAY_BACKENDS", "[{\"name\":\"training\",\"url\":\"http://127.0.0.1:" + account.getAddress().getPort()
                        + "\",\"apiKey\":\"unused\"}]"));
        ProxyServer proxy = Spillway.assemble(config, () -> {
            throw new IllegalStateException("the training run uses API keys only");
        });
        int port = proxy.start(0);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI chat = URI.create("http://127.0.0.1:" + port + "/openai/deployments/chat/chat/completions?api-version=2024-10-21");
        java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        try (ExecutorService clients = Executors.newFixedThreadPool(16)) {
            for (int i = 0; i < requests; i++) {
                boolean stream = i % 4 == 0;
                clients.submit(() -> {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(chat).header("api-key", KEY)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about spillways.\"}],"
                                    + "\"max_tokens\":20" + (stream ? ",\"stream\":true" : "") + "}"))
                            .build(), HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 200 && response.body().contains("\"usage\":{")) {
                        served.incrementAndGet();
                    }
                    return null;
                });
            }
            clients.shutdown();
            clients.awaitTermination(2, TimeUnit.MINUTES);
        } finally {
            proxy.close();
            account.stop(0);
        }
        return served.get();
    }

    /** Answers every request as an account does, with its rate-limit headers and a usage object. */
    private static HttpServer standInAccount() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", exchange -> {
            String request = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            answer(exchange, request.contains("\"stream\":true"));
        });
        server.start();
        return server;
    }

    private static void answer(HttpExchange exchange, boolean stream) throws IOException {
        String usage = "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":20,\"total_tokens\":32}";
        exchange.getResponseHeaders().add("x-ratelimit-remaining-tokens", "999000");
        exchange.getResponseHeaders().add("x-ratelimit-remaining-requests", "9990");
        exchange.getResponseHeaders().add("apim-request-id", "00000000-0000-0000-0000-000000000000");
        if (stream) {
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < 20; i++) {
                    out.write(("data: {\"choices\":[{\"delta\":{\"content\":\"word \"}}],\"usage\":null}\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                out.write(("data: {\"choices\":[]," + usage + "}\n\ndata: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
            }
        } else {
            byte[] body = ("{\"id\":\"chatcmpl-training\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                    + "\"content\":\"A spillway lets water past a dam.\"},\"finish_reason\":\"stop\"}]," + usage + "}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
