package dev.spillway.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The simulator over real HTTP, as the proxy and its tests see it. */
class SimulatorTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private Simulator simulator;

    @AfterEach
    void stop() {
        simulator.close();
    }

    private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(simulator.url() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void chatCompletionCarriesUsageAndRateLimitHeaders() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults());

        HttpResponse<String> response = post("/openai/deployments/chat/chat/completions?api-version=2024-10-21",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"12345678\"}],\"max_tokens\":10}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"prompt_tokens\":2").contains("\"completion_tokens\":10");
        // charged at admission: prompt 2 + 3 for the message + 3 to prime the reply + max_tokens 10
        assertThat(response.headers().firstValue("x-ratelimit-remaining-tokens")).hasValue("29982");
        assertThat(response.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("29");
    }

    @Test
    void overQuotaGets429WithRetryHeadersAndAnAzureStyleBody() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults().withTokensPerMinute(1000));
        post("/openai/v1/chat/completions", "{\"model\":\"chat\",\"messages\":[],\"max_tokens\":900}");

        HttpResponse<String> response = post("/openai/v1/chat/completions", "{\"model\":\"chat\",\"messages\":[],\"max_tokens\":900}");

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("retry-after")).isPresent();
        assertThat(response.headers().firstValue("retry-after-ms")).isPresent();
        assertThat(response.body()).contains("\"code\":\"429\"").contains("ChatCompletions_Create");
    }

    @Test
    void streamingEndsWithUsageAndDoneWhenAsked() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults().withCompletionTokens(3));

        HttpResponse<String> response = post("/openai/v1/chat/completions",
                "{\"model\":\"chat\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[]}");

        assertThat(response.headers().firstValue("content-type").orElseThrow()).startsWith("text/event-stream");
        assertThat(response.body().split("\n\n")).hasSize(7);
        assertThat(response.body()).contains("\"usage\":{\"prompt_tokens\"").endsWith("data: [DONE]\n\n");
    }

    @Test
    void configuredKeyIsRequired() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults().withApiKey("k"));

        assertThat(post("/openai/v1/embeddings", "{\"model\":\"embedding\",\"input\":\"x\"}").statusCode()).isEqualTo(401);
        assertThat(post("/openai/v1/embeddings", "{\"model\":\"embedding\",\"input\":\"x\"}", "Authorization", "Bearer k").statusCode())
                .isEqualTo(200);
    }

    @Test
    void refusedConnectionsCanBeTurnedBackOn() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults());
        simulator.refuseConnections();
        try {
            post("/openai/v1/embeddings", "{\"model\":\"embedding\",\"input\":\"x\"}");
            throw new AssertionError("connection should have been refused");
        } catch (java.net.ConnectException expected) {
            // refused, as asked
        }

        simulator.acceptConnections();

        assertThat(post("/openai/v1/embeddings", "{\"model\":\"embedding\",\"input\":\"x\"}").statusCode()).isEqualTo(200);
    }

    @Test
    void unknownDeploymentGets404() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults().withTokenLatency(Duration.ZERO));

        HttpResponse<String> response = post("/openai/deployments/gpt-x/chat/completions", "{\"messages\":[]}");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("DeploymentNotFound");
    }
}
