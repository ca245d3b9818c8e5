package dev.spillway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.ProxyJar;
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
        try (Simulator account = Simulator.start(SimulatorOptions.defaults().withTokenLatency(Duration.ofMillis(300)).withCompletionTokens(10));
             ProxyJar proxy = ProxyJar.start(Map.of("SPILLWAY_API_KEYS", "k", "SPILLWAY_DRAIN_GRACE_MS", "500",
                     "SPILLWAY_DRAIN_TIMEOUT_MS", "10000",
                     "SPILLWAY_BACKENDS", "[{\"name\":\"openai1\",\"url\":\"" + account.url() + "\",\"apiKey\":\"x\"}]"), dir.resolve("proxy.log"))) {
            HttpResponse<InputStream> stream = http.send(chat(proxy, true), HttpResponse.BodyHandlers.ofInputStream());
            CompletableFuture<String> wholeStream = CompletableFuture.supplyAsync(() -> {
                try (InputStream body = stream.body()) {
                    return new String(body.readAllBytes(), StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    return "broken: " + e;
                }
            });

            proxy.process().destroy(); // SIGTERM
            Thread.sleep(200);
            int readiness = http.send(HttpRequest.newBuilder(URI.create(proxy.url() + "/readyz")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            int duringGrace = http.send(chat(proxy, false), HttpResponse.BodyHandlers.discarding()).statusCode();
            Thread.sleep(600);
            HttpResponse<String> afterGrace = http.send(chat(proxy, false), HttpResponse.BodyHandlers.ofString());

            assertThat(readiness).isEqualTo(503);
            assertThat(duringGrace).isEqualTo(200);
            assertThat(afterGrace.statusCode()).isEqualTo(503);
            assertThat(afterGrace.body()).contains("shutting_down");
            assertThat(wholeStream.get(10, TimeUnit.SECONDS)).as("the open stream, with the proxy's log:%n%s", proxy.output())
                    .endsWith("data: [DONE]\n\n");
            assertThat(proxy.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(proxy.process().exitValue()).isZero();
            assertThat(proxy.output()).contains("Draining").contains("Drained");
        }
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
