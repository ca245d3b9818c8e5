package dev.spillway.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The answers Azure OpenAI gives besides a plain 200, each as documented or observed, over real HTTP:
 * what the proxy must hold up against.
 */
class AzureShapesTest {

    private static final String CHAT = "/openai/deployments/chat/chat/completions?api-version=2024-10-21";
    private static final String ASK = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}],\"max_tokens\":10}";
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private Simulator simulator;

    @AfterEach
    void stop() {
        simulator.close();
    }

    private HttpResponse<String> post(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(simulator.url() + CHAT)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<JsonNode> events(String body) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
                events.add(json.readTree(line.substring(6)));
            }
        }
        return events;
    }

    @Test
    void requestWithoutMaxTokensIsChargedTheModelsDefaultNotTheWholeContext() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults());

        HttpResponse<String> response = post("{\"messages\":[{\"role\":\"user\",\"content\":\"12345678\"}]}");

        // prompt 2 + 3 for the message + 3 to prime the reply + 648 for a gpt-4o-class model
        assertThat(response.headers().firstValue("x-ratelimit-remaining-tokens")).hasValue(Long.toString(30_000 - 656));
    }

    @Test
    void nAndBestOfMultiplyTheCompletionCharge() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults());

        HttpResponse<String> response = post("{\"messages\":[{\"role\":\"user\",\"content\":\"12345678\"}],\"max_tokens\":100,\"n\":3}");

        assertThat(response.headers().firstValue("x-ratelimit-remaining-tokens")).hasValue(Long.toString(30_000 - (2 + 3 + 3 + 300)));
    }

    @Test
    void azureProfileTakesHundredsOfMillisecondsBeforeTheFirstByte() throws Exception {
        simulator = Simulator.start(SimulatorOptions.azure());
        long start = System.nanoTime();

        HttpResponse<String> response = post(ASK);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300 + 10 * 15));
    }

    @Test
    void headerJitterMakesRemainingTokensApproximate() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults().withTokensPerMinute(1_000_000).withHeaderJitter(0.05).withSeed(7));
        // Each request is charged 2 + 3 + 3 + 20,000 tokens: exact counters would fall by exactly that.
        String big = "{\"messages\":[{\"role\":\"user\",\"content\":\"12345678\"}],\"max_tokens\":20000}";
        int exactAnswers = 0;
        for (int i = 1; i <= 20; i++) {
            long exact = 1_000_000 - 20_008L * i;
            long reported = Long.parseLong(post(big).headers().firstValue("x-ratelimit-remaining-tokens").orElseThrow());
            assertThat(reported).as("request " + i).isBetween(Math.round(exact * 0.95), Math.round(exact * 1.05));
            exactAnswers += reported == exact ? 1 : 0;
        }
        assertThat(exactAnswers).as("answers that gave the exact figure").isLessThan(3);
    }

    @Test
    void jitteredRemainingNeverExceedsTheLimit() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults().withHeaderJitter(0.2).withSeed(11));

        for (int i = 0; i < 10; i++) {
            assertThat(Long.parseLong(post(ASK).headers().firstValue("x-ratelimit-remaining-tokens").orElseThrow())).isLessThanOrEqualTo(30_000);
        }
    }

    @Test
    void remainingCanBeReportedAsMinusOne() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults());
        simulator.faults().reportRemainingAsUnknown();

        HttpResponse<String> response = post(ASK);

        assertThat(response.headers().firstValue("x-ratelimit-remaining-tokens")).hasValue("-1");
        assertThat(response.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("-1");
    }

    @Test
    void quotaHeadersCanBeMissing() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults());
        simulator.faults().omitQuotaHeaders();

        HttpResponse<String> response = post(ASK);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().map().keySet()).noneMatch(name -> name.startsWith("x-ratelimit-"));
    }

    @Test
    void limitCutShowsInTheLimitHeader() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults());
        simulator.faults().cutLimit(0.6);

        assertThat(post(ASK).headers().firstValue("x-ratelimit-limit-tokens")).hasValue("18000");
    }

    @Test
    void capacity429CarriesNoRetryHeader() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults());
        simulator.faults().capacityThrottle();

        HttpResponse<String> response = post(ASK);

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("retry-after")).isEmpty();
        assertThat(response.headers().firstValue("retry-after-ms")).isEmpty();
        assertThat(response.body()).contains("high demand");
    }

    @Test
    void streamsCarryFilterAnnotationsAndAnAnnotationChunkAfterTheUsageChunk() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults().withCompletionTokens(3));
        simulator.faults().annotateStreams();

        List<JsonNode> events = events(post("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":3,\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}").body());

        assertThat(events.get(0).path("choices")).isEmpty();
        assertThat(events.get(0).has("prompt_filter_results")).isTrue();
        int usage = -1;
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).path("usage").isObject()) {
                usage = i;
            }
        }
        assertThat(usage).as("index of the usage chunk").isPositive().isLessThan(events.size() - 1);
        assertThat(events.getLast().path("choices").get(0).has("content_filter_offsets")).isTrue();
        assertThat(events.get(usage).path("usage").path("completion_tokens").asInt()).isEqualTo(3);
    }

    @Test
    void contentFilter400HasAzuresShape() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults());
        simulator.faults().filterPromptsContaining("forbidden");

        HttpResponse<String> response = post("{\"messages\":[{\"role\":\"user\",\"content\":\"something forbidden\"}],\"max_tokens\":10}");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = json.readTree(response.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("content_filter");
        assertThat(error.path("innererror").path("code").asText()).isEqualTo("ResponsibleAIPolicyViolation");
    }

    @Test
    void serviceFailuresUseAzuresCodes() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults());
        for (int status : new int[] {408, 500, 503}) {
            simulator.faults().failWith(status);

            HttpResponse<String> response = post(ASK);

            assertThat(response.statusCode()).isEqualTo(status);
            assertThat(json.readTree(response.body()).path("error").path("code").asText())
                    .isEqualTo(switch (status) { case 408 -> "Timeout"; case 500 -> "server_error"; default -> "ServiceUnavailable"; });
        }
    }

    @Test
    void intermittentFailuresHitAboutTheAskedShare() throws Exception {
        simulator = Simulator.start(SimulatorOptions.defaults().withTokensPerMinute(1_000_000).withSeed(3));
        simulator.faults().failRandomly(500, 0.25);
        int failed = 0;
        for (int i = 0; i < 200; i++) {
            failed += post(ASK).statusCode() == 500 ? 1 : 0;
        }

        assertThat(failed).isBetween(30, 70);
    }

    @Test
    void deploymentCreatedMomentsAgoAnswers404UntilItIsReady() throws Exception {
        Instant[] now = {Instant.parse("2026-12-01T10:00:00Z")};
        simulator = Simulator.start(SimulatorOptions.defaults(), () -> now[0]);
        simulator.faults().deploymentCreatedAt("chat", now[0].plus(Duration.ofMinutes(5)));

        assertThat(post(ASK).statusCode()).isEqualTo(404);
        now[0] = now[0].plus(Duration.ofMinutes(5));
        assertThat(post(ASK).statusCode()).isEqualTo(200);
    }
}
