package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.ManualClock;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.ReceivedRequest;
import dev.spillway.simulator.Simulator;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Caller budgets through the real server in front of simulated accounts: who is refused, with
 * what, before any account is called; what every answer to a named caller carries; and what a
 * request is charged however its answer ends, streams included.
 */
class CallerBudgetsThroughProxyTest {

    private static final String CHAT = "/openai/deployments/chat/chat/completions?api-version=2024-10-21";
    private static final String TEAM_A_KEY = "team-a-key";
    private static final String TEAM_B_KEY = "team-b-key";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-02T10:00:00Z"));

    private RunningProxy proxy(String teamA, Simulator... accounts) {
        RunningProxy.Builder builder = servers.proxy().clock(clock).env("SPILLWAY_CALLERS", "[{\"name\":\"team-a\",\"apiKeys\":[\""
                + TEAM_A_KEY + "\"]" + teamA + "},{\"name\":\"team-b\",\"apiKeys\":[\"" + TEAM_B_KEY + "\"],\"tokensPerMinute\":100000}]");
        for (int i = 0; i < accounts.length; i++) {
            builder.backend("openai" + (i + 1), accounts[i], 1);
        }
        return builder.start();
    }

    private static HttpResponse<String> chat(RunningProxy proxy, String key, String body) {
        return proxy.post(CHAT, body, "api-key", key);
    }

    private static String body(int maxTokens, boolean stream) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"Say something about spillways.\"}],\"max_tokens\":" + maxTokens
                + (stream ? ",\"stream\":true" : "") + "}";
    }

    private static JsonNode callers(RunningProxy proxy) {
        try {
            return JSON.readTree(proxy.get("/callers").body()).path("callers");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode caller(RunningProxy proxy, String name) {
        for (JsonNode caller : callers(proxy)) {
            if (caller.path("name").asText().equals(name)) {
                return caller;
            }
        }
        throw new AssertionError("no caller " + name);
    }

    private static long usedTokens(HttpResponse<String> answer) throws IOException {
        return JSON.readTree(answer.body()).path("usage").path("total_tokens").asLong();
    }

    @Test
    void aCallerOverItsTokensPerMinuteGets429WithRetryAfterMsAndNoAccountIsCalled() throws IOException {
        Simulator account = servers.account();
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100", account);
        int admitted = 0;
        HttpResponse<String> refused = null;
        for (int i = 0; i < 20 && refused == null; i++) {
            HttpResponse<String> answer = chat(proxy, TEAM_A_KEY, body(30, false));
            if (answer.statusCode() == 429) {
                refused = answer;
            } else {
                assertThat(answer.statusCode()).isEqualTo(200);
                admitted++;
            }
        }
        long calls = account.traffic().calls();

        assertThat(refused).as("refused within 20 requests of ~40 tokens").isNotNull();
        assertThat(admitted).as("about 100 tokens' worth").isBetween(2, 4);
        assertThat(account.traffic().calls()).isEqualTo(calls).isEqualTo(admitted);
        long retryAfterMs = Long.parseLong(refused.headers().firstValue("retry-after-ms").orElseThrow());
        assertThat(retryAfterMs).as("the window's oldest second ages out 61 s after it began").isBetween(1L, 61_000L);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue(Long.toString((retryAfterMs + 999) / 1000));
        assertThat(JSON.readTree(refused.body()).path("error").path("code").asText()).isEqualTo("caller_tokens_per_minute_exceeded");
        assertThat(refused.body()).contains("team-a").contains("100 tokens per minute");
        assertThat(caller(proxy, "team-a").path("counted").path("minuteRejections").asLong()).isEqualTo(1);
    }

    @Test
    void aCallerRefusedForTheMinuteIsAdmittedOnceItsRetryAfterMsHasPassed() {
        Simulator account = servers.account();
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100", account);
        HttpResponse<String> answer;
        do {
            answer = chat(proxy, TEAM_A_KEY, body(30, false));
        } while (answer.statusCode() == 200);
        long retryAfterMs = Long.parseLong(answer.headers().firstValue("retry-after-ms").orElseThrow());

        clock.advance(Duration.ofMillis(retryAfterMs - 1));
        assertThat(chat(proxy, TEAM_A_KEY, body(30, false)).statusCode()).as("a millisecond early").isEqualTo(429);
        clock.advance(Duration.ofMillis(1));
        assertThat(chat(proxy, TEAM_A_KEY, body(30, false)).statusCode()).isEqualTo(200);
    }

    @Test
    void aRequestWhoseEstimateAloneIsOverTheLimitIsToldNoWaitHelps() throws IOException {
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100", servers.account());

        HttpResponse<String> refused = chat(proxy, TEAM_A_KEY, body(500, false));

        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("x-should-retry")).hasValue("false");
        assertThat(refused.headers().firstValue("retry-after-ms")).isEmpty();
        assertThat(JSON.readTree(refused.body()).path("error").path("message").asText()).contains("can never be admitted").contains("max_tokens");
    }

    @Test
    void anotherCallerIsUnaffectedByOneOverItsBudget() {
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100", servers.account());
        while (chat(proxy, TEAM_A_KEY, body(30, false)).statusCode() == 200) {
            // Spend team-a's minute.
        }

        for (int i = 0; i < 5; i++) {
            assertThat(chat(proxy, TEAM_B_KEY, body(30, false)).statusCode()).isEqualTo(200);
        }
        assertThat(chat(proxy, RunningProxy.CLIENT_KEY, body(30, false)).statusCode()).as("a plain key has no budget").isEqualTo(200);
    }

    @Test
    void aSpentQuotaAnswers403NamingWhenThePeriodStartsAgain() throws IOException {
        Simulator account = servers.account();
        RunningProxy proxy = proxy(",\"tokenQuota\":100,\"tokenQuotaPeriod\":\"daily\"", account);
        HttpResponse<String> answer;
        do {
            answer = chat(proxy, TEAM_A_KEY, body(30, false));
        } while (answer.statusCode() == 200);
        long calls = account.traffic().calls();

        assertThat(answer.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(answer.body()).path("error").path("code").asText()).isEqualTo("caller_token_quota_exceeded");
        assertThat(answer.body()).contains("daily token quota").contains("2026-12-03T00:00:00Z");
        // 14 hours from 10:00 to midnight.
        assertThat(answer.headers().firstValue("Retry-After")).hasValue("50400");
        assertThat(answer.headers().firstValue("x-spillway-remaining-quota-tokens")).hasValue("0");
        assertThat(chat(proxy, TEAM_A_KEY, body(1, false)).statusCode()).isEqualTo(403);
        assertThat(account.traffic().calls()).isEqualTo(calls);
        assertThat(caller(proxy, "team-a").path("counted").path("quotaRejections").asLong()).isEqualTo(2);

        clock.advance(Duration.ofHours(14));
        assertThat(chat(proxy, TEAM_A_KEY, body(30, false)).statusCode()).as("the next day").isEqualTo(200);
    }

    @Test
    void everyAnswerToACallerWithABudgetSaysWhoItIsAndWhatIsLeftAfterThisRequest() throws IOException {
        RunningProxy proxy = proxy(",\"tokensPerMinute\":1000,\"tokenQuota\":5000,\"tokenQuotaPeriod\":\"monthly\"", servers.account());

        HttpResponse<String> first = chat(proxy, TEAM_A_KEY, body(30, false));
        long used = usedTokens(first);
        HttpResponse<String> second = chat(proxy, TEAM_A_KEY, body(30, false));
        HttpResponse<String> plain = chat(proxy, RunningProxy.CLIENT_KEY, body(30, false));

        assertThat(first.headers().firstValue("x-spillway-caller")).hasValue("team-a");
        long reserved = 1000 - Long.parseLong(first.headers().firstValue("x-spillway-remaining-tokens").orElseThrow());
        assertThat(reserved).as("the estimate is reserved").isGreaterThanOrEqualTo(30);
        assertThat(second.headers().firstValue("x-spillway-remaining-tokens")).as("the first settled to its usage")
                .hasValue(Long.toString(1000 - used - reserved));
        assertThat(second.headers().firstValue("x-spillway-remaining-quota-tokens")).hasValue(Long.toString(5000 - used - reserved));
        assertThat(first.headers().firstValue("x-ratelimit-remaining-tokens")).as("the account's own headers pass").isPresent();
        assertThat(plain.headers().firstValue("x-spillway-caller")).isEmpty();
        assertThat(plain.headers().firstValue("x-spillway-remaining-tokens")).isEmpty();
    }

    @Test
    void aStreamThatDidNotAskForUsageIsChargedItsRealUsageAndTheClientSeesNoUsage() throws IOException {
        Simulator account = servers.account();
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account);
        long expected = usedTokens(chat(proxy, TEAM_A_KEY, body(20, false)));

        HttpResponse<String> stream = chat(proxy, TEAM_A_KEY, body(20, true));

        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.body()).contains("data: [DONE]").doesNotContain("usage").doesNotContain("\"choices\":[]");
        ReceivedRequest forwarded = account.traffic().recent().get(account.traffic().recent().size() - 1);
        JsonNode sent = JSON.readTree(forwarded.body());
        assertThat(sent.path("stream_options").path("include_usage").asBoolean()).as("the proxy asked the account for it").isTrue();
        JsonNode counted = caller(proxy, "team-a").path("counted");
        assertThat(counted.path("promptTokens").asLong() + counted.path("completionTokens").asLong()).isEqualTo(2 * expected);
    }

    @Test
    void aStreamThatAskedForUsageGetsItsUsageChunkAsTheAccountSentIt() throws IOException {
        Simulator account = servers.account();
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account);
        String asked = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":20,\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}";

        HttpResponse<String> stream = chat(proxy, TEAM_A_KEY, asked);

        assertThat(stream.body()).contains("\"usage\":{").contains("\"usage\":null");
        assertThat(caller(proxy, "team-a").path("counted").path("completionTokens").asLong()).isPositive();
    }

    @Test
    void aStreamOptionsObjectWithoutIncludeUsageGetsItAddedAndItsOtherOptionsKept() throws IOException {
        Simulator account = servers.account();
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account);
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":20,\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":false,\"include_obfuscation\":false}}";

        HttpResponse<String> stream = chat(proxy, TEAM_A_KEY, body);

        assertThat(stream.body()).doesNotContain("usage");
        JsonNode options = JSON.readTree(account.traffic().recent().get(0).body()).path("stream_options");
        assertThat(options.path("include_usage").asBoolean()).isTrue();
        assertThat(options.has("include_obfuscation")).isTrue();
    }

    @Test
    void anApiVersionOlderThanStreamOptionsIsSentAsItCameAndChargedItsReservation() throws IOException {
        Simulator account = servers.account();
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account);

        HttpResponse<String> stream = proxy.post("/openai/deployments/chat/chat/completions?api-version=2024-06-01", body(20, true),
                "api-key", TEAM_A_KEY);

        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(account.traffic().recent().get(0).body()).has("stream_options")).isFalse();
        JsonNode minute = caller(proxy, "team-a").path("minute");
        assertThat(minute.path("used").asLong()).as("no usage came: the estimate stands").isGreaterThanOrEqualTo(20);
        assertThat(caller(proxy, "team-a").path("counted").path("completionTokens").asLong()).isZero();
    }

    @Test
    void aRequestThrottledByOneAccountAndServedByAnotherIsChargedOnce() throws IOException {
        Simulator throttled = servers.account();
        Simulator healthy = servers.account();
        throttled.faults().throttleAll(Duration.ofSeconds(30));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", throttled, healthy);

        long total = 0;
        for (int i = 0; i < 4; i++) {
            total += usedTokens(chat(proxy, TEAM_A_KEY, body(20, false)));
        }

        assertThat(throttled.traffic().calls()).as("the throttled account was tried").isGreaterThanOrEqualTo(1);
        assertThat(caller(proxy, "team-a").path("minute").path("used").asLong()).isEqualTo(total);
    }

    @Test
    void aRequestEveryAccountRefusedIsChargedNothing() {
        Simulator throttled = servers.account();
        throttled.faults().throttleAll(Duration.ofSeconds(30));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", throttled);

        assertThat(chat(proxy, TEAM_A_KEY, body(20, false)).statusCode()).isEqualTo(429);

        assertThat(caller(proxy, "team-a").path("minute").path("used").asLong()).isZero();
    }

    @Test
    void aStreamTheClientLeftBeforeItsUsageIsChargedItsReservationNotZero() throws Exception {
        Simulator slow = servers.account(dev.spillway.simulator.SimulatorOptions.defaults().withTokenLatency(Duration.ofMillis(50)));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", slow);
        HttpResponse<InputStream> stream = proxy.send(proxy.request(CHAT, "api-key", TEAM_A_KEY)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body(40, true))).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = stream.body()) {
            body.read(new byte[64]);
        }

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        long used;
        do {
            Thread.sleep(50);
            used = caller(proxy, "team-a").path("minute").path("used").asLong();
        } while (slow.traffic().streamsAbandoned() == 0 && System.nanoTime() < deadline);
        assertThat(used).as("the reservation stands").isGreaterThanOrEqualTo(40);
    }

    @Test
    void callersIsBehindTheSameAuthAsMetricsAndShowsNoKey() {
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100", servers.account());

        HttpResponse<String> anonymous = proxy.get("/callers", "X-No-Credential", "1");
        HttpResponse<String> report = proxy.get("/callers");

        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(report.statusCode()).isEqualTo(200);
        assertThat(report.body()).contains("\"name\":\"team-a\"").contains("\"limit\":100").doesNotContain(TEAM_A_KEY).doesNotContain(TEAM_B_KEY);
        List<String> names = callers(proxy).findValuesAsText("name");
        assertThat(names).containsExactly("team-a", "team-b");
    }

    @Test
    void callerMetricsCountTokensAndRejections() {
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100", servers.account());
        while (chat(proxy, TEAM_A_KEY, body(30, false)).statusCode() == 200) {
            // Spend the minute.
        }

        String metrics = proxy.get("/metrics").body();

        assertThat(metrics).containsPattern("spillway_caller_tokens_total\\{caller=\"team-a\",kind=\"completion\"} [1-9]");
        assertThat(metrics).contains("spillway_caller_rejections_total{caller=\"team-a\",limit=\"minute\"} 1.0");
        assertThat(metrics).doesNotContain(TEAM_A_KEY);
    }

    @Test
    void aResponsesCallIsChargedItsInputAndOutputTokens() throws IOException {
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", servers.account());

        HttpResponse<String> answer = proxy.post("/openai/v1/responses", "{\"model\":\"chat\",\"input\":\"Hello\",\"max_output_tokens\":20}",
                "api-key", TEAM_A_KEY);

        JsonNode usage = JSON.readTree(answer.body()).path("usage");
        JsonNode counted = caller(proxy, "team-a").path("counted");
        assertThat(counted.path("promptTokens").asLong()).isEqualTo(usage.path("input_tokens").asLong());
        assertThat(counted.path("completionTokens").asLong()).isEqualTo(usage.path("output_tokens").asLong()).isPositive();
        assertThat(new String(answer.body().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).contains("input_tokens");
    }
}
