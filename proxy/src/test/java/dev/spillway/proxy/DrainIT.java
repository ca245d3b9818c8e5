package dev.spillway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.ProxyJar;
import dev.spillway.proxy.testing.KeepAliveConnection;
import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM, as Container Apps sends it on scale-in: readiness drops, new work is refused, open streams finish, exit 0. */
class DrainIT {

    private static final String PATH = "/openai/deployments/chat/chat/completions?api-version=2024-10-21";
    private static final String CHAT = "POST " + PATH + " HTTP/1.1\r\nHost: proxy\r\napi-key: k\r\nContent-Type: application/json\r\n"
            + "Content-Length: 30\r\n\r\n{\"messages\":[],\"max_tokens\":1}";
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;

    private HttpRequest chat(ProxyJar proxy, boolean stream) {
        return HttpRequest.newBuilder(URI.create(proxy.url() + PATH)).header("api-key", "k").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(stream ? "{\"messages\":[],\"max_tokens\":10,\"stream\":true}" : "{\"messages\":[],\"max_tokens\":1}"))
                .build();
    }

    @Test
    void sigtermLetsOpenStreamsFinishRefusesNewWorkAndExitsZero() throws Exception {
        // A grace long enough that the request sent just after readiness dropped lands inside it even on a busy machine.
        try (Simulator account = Simulator.start(SimulatorOptions.defaults().withTokenLatency(Duration.ofMillis(300)).withCompletionTokens(20));
             ProxyJar proxy = ProxyJar.start(Map.of("SPILLWAY_API_KEYS", "k", "SPILLWAY_DRAIN_GRACE_MS", "3000",
                     "SPILLWAY_DRAIN_TIMEOUT_MS", "20000",
                     "SPILLWAY_BACKENDS", "[{\"name\":\"openai1\",\"url\":\"" + account.url() + "\",\"apiKey\":\"x\"}]"), dir.resolve("proxy.log"))) {
            HttpResponse<InputStream> stream = http.send(chat(proxy, true), HttpResponse.BodyHandlers.ofInputStream());
            CompletableFuture<String> wholeStream = CompletableFuture.supplyAsync(() -> {
                try (InputStream body = stream.body()) {
                    return new String(body.readAllBytes(), StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    return "broken: " + e;
                }
            });

            try (KeepAliveConnection client = new KeepAliveConnection(proxy.url(), Duration.ofSeconds(5))) {
                proxy.process().destroy(); // SIGTERM
                int readiness = awaitStatus(proxy, HttpRequest.newBuilder(URI.create(proxy.url() + "/readyz")).build(), 503);
                // The listener closes after the grace, so the refusal is only ever seen on a connection kept open.
                KeepAliveConnection.Response duringGrace = client.exchange(CHAT);
                KeepAliveConnection.Response afterGrace = awaitRefusal(client);

                assertThat(readiness).isEqualTo(503);
                assertThat(duringGrace.statusLine()).as("a request in the grace period is still served").isEqualTo("HTTP/1.1 200 OK");
                assertThat(afterGrace.statusLine()).isEqualTo("HTTP/1.1 503 Service Unavailable");
                assertThat(afterGrace.header("Connection")).as("a refusal closes its connection, so the client reconnects elsewhere")
                        .isEqualTo("close");
                assertThat(client.closedByServer()).as("closed by the proxy, not left open").isTrue();
                assertThat(afterGrace.body()).contains("shutting_down");
            }
            assertThat(wholeStream.get(20, TimeUnit.SECONDS)).as("the open stream, with the proxy's log:%n%s", proxy.output())
                    .endsWith("data: [DONE]\n\n");
            assertThat(proxy.process().waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(proxy.process().exitValue()).isZero();
            assertThat(proxy.output()).contains("Draining").contains("Drained");
        }
    }

    /** Sends the request until it gets this status, for at most 10 s; returns the last status seen. */
    private int awaitStatus(ProxyJar proxy, HttpRequest request, int wanted) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int status;
        do {
            status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } while (status != wanted && System.nanoTime() < deadline);
        return status;
    }

    /** Sends chat requests on the kept connection, all served in the grace period, until one is refused (10 s at most). */
    private static KeepAliveConnection.Response awaitRefusal(KeepAliveConnection client) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        KeepAliveConnection.Response answer;
        do {
            answer = client.exchange(CHAT);
        } while (!answer.statusLine().contains(" 503 ") && System.nanoTime() < deadline);
        return answer;
    }

    @Test
    void drainTimeoutEndsAStreamThatWouldRunTooLong() throws Exception {
        try (Simulator account = Simulator.start(SimulatorOptions.defaults().withTokenLatency(Duration.ofSeconds(1)).withCompletionTokens(60));
             ProxyJar proxy = ProxyJar.start(Map.of("SPILLWAY_API_KEYS", "k", "SPILLWAY_DRAIN_GRACE_MS", "0",
                     "SPILLWAY_DRAIN_TIMEOUT_MS", "1000",
                     "SPILLWAY_BACKENDS", "[{\"name\":\"openai1\",\"url\":\"" + account.url() + "\",\"apiKey\":\"x\"}]"), dir.resolve("proxy.log"))) {
            http.send(chat(proxy, true), HttpResponse.BodyHandlers.ofInputStream());

            long started = System.nanoTime();
            proxy.process().destroy();

            assertThat(proxy.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertThat(proxy.process().exitValue()).isZero();
            assertThat(proxy.output()).contains("Drain timeout passed with 1 requests still in flight");
        }
    }
}
