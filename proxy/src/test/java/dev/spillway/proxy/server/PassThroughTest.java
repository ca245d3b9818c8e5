package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RawBackend;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.proxy.testing.ScriptedBackend;
import dev.spillway.simulator.ReceivedRequest;
import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A request that one backend can serve goes through untouched, streaming as it comes. */
class PassThroughTest {

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private RunningProxy proxy;


    @Test
    void normalCallIsForwardedWithMethodPathQueryAndBodyIntact() {
        Simulator account = servers.account();
        proxy = servers.proxy().backend("openai1", account, 1).start();
        String body = RunningProxy.chatBody(false);

        HttpResponse<String> response = proxy.post("/openai/deployments/chat/chat/completions?api-version=2024-10-21&x=a%20b", body);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"object\":\"chat.completion\"").contains("\"usage\"");
        assertThat(response.headers().firstValue("x-spillway-backend")).hasValue("openai1");
        assertThat(response.headers().firstValue("x-ratelimit-remaining-tokens")).isPresent();
        ReceivedRequest received = account.traffic().recent().get(0);
        assertThat(received.method()).isEqualTo("POST");
        assertThat(received.path()).isEqualTo("/openai/deployments/chat/chat/completions");
        assertThat(received.query()).isEqualTo("api-version=2024-10-21&x=a%20b");
        assertThat(new String(received.body(), StandardCharsets.UTF_8)).isEqualTo(body);
    }

    @Test
    void clientCookiesAreNeverForwardedToABackend() {
        Simulator account = servers.account();
        proxy = servers.proxy().backend("openai1", account, 1).start();

        HttpResponse<String> response = proxy.post("/openai/deployments/chat/chat/completions?api-version=2024-10-21",
                RunningProxy.chatBody(false), "Cookie", "session=client-secret-session");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(account.traffic().recent().get(0).header("Cookie")).isNull();
    }

    @Test
    void backendCookiesAreNeverPassedToTheClient() {
        try (ScriptedBackend cookieSetting = new ScriptedBackend(n -> new ScriptedBackend.Reply(200,
                Map.of("Set-Cookie", "ARRAffinity=backend-instance-7; Path=/; HttpOnly"), "{\"choices\":[]}"))) {
            proxy = servers.proxy().backend("openai1", cookieSetting.url(), 1, "k").start();

            HttpResponse<String> response = proxy.chat("chat");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().allValues("Set-Cookie")).isEmpty();
        }
    }

    @Test
    void v1CallIsRoutedByTheModelInItsBody() {
        Simulator account = servers.account();
        proxy = servers.proxy().backend("openai1", account, 1).start();

        HttpResponse<String> response = proxy.post("/openai/v1/chat/completions",
                "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(account.traffic().calls("chat")).isEqualTo(1);
    }

    @Test
    void clientCredentialsAreReplacedByTheBackendCredential() {
        Simulator account = servers.account();
        proxy = servers.proxy().backend("openai1", account, 1).start();

        HttpResponse<String> response = proxy.post("/openai/deployments/chat/chat/completions?api-version=2024-10-21",
                RunningProxy.chatBody(false), "Authorization", "Bearer " + RunningProxy.CLIENT_KEY);

        assertThat(response.statusCode()).isEqualTo(200);
        ReceivedRequest received = account.traffic().recent().get(0);
        assertThat(received.header("api-key")).isEqualTo("backend-key");
        assertThat(received.header("Authorization")).isNull();
        assertThat(received.headers().toString()).doesNotContain(RunningProxy.CLIENT_KEY);
    }

    @Test
    void streamingCallArrivesChunkByChunkBeforeTheStreamEnds() throws Exception {
        Simulator account = servers.account(SimulatorOptions.defaults().withApiKey("backend-key")
                .withTokenLatency(Duration.ofMillis(150)).withCompletionTokens(8));
        proxy = servers.proxy().backend("openai1", account, 1).start();

        long started = System.nanoTime();
        HttpResponse<InputStream> response = proxy.postStreaming(
                "/openai/deployments/chat/chat/completions?api-version=2024-10-21", RunningProxy.chatBody(true));
        List<Long> arrivals = new ArrayList<>();
        List<String> events = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    arrivals.add((System.nanoTime() - started) / 1_000_000);
                    events.add(line);
                }
            }
        }

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
        assertThat(events.get(events.size() - 1)).isEqualTo("data: [DONE]");
        // 8 tokens at 150 ms each: the stream takes over a second, and the first event must not wait for it.
        long last = arrivals.get(arrivals.size() - 1);
        assertThat(last).isGreaterThan(1000);
        assertThat(arrivals.get(1)).isLessThan(last - 700);
    }

    @Test
    void streamedUsageChunkIsPassedThroughWhenRequested() {
        Simulator account = servers.account();
        proxy = servers.proxy().backend("openai1", account, 1).start();

        HttpResponse<String> response = proxy.post("/openai/v1/chat/completions",
                "{\"model\":\"chat\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}");

        assertThat(response.body()).contains("\"completion_tokens\":5").endsWith("data: [DONE]\n\n");
    }

    @Test
    void responseHeaderThatTheBackendsConnectionHeaderNamesIsNotPassedOn() {
        try (RawBackend raw = new RawBackend(RawBackend.Behaviour.CONNECTION_NAMES_A_HEADER)) {
            proxy = servers.proxy().backend("openai1", raw.url(), 1, "k").start();

            HttpResponse<String> response = proxy.chat("chat");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-kept")).hasValue("yes");
            assertThat(response.headers().firstValue("x-hop-secret")).isEmpty();
        }
    }
}
