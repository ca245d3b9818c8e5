package dev.spillway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.spillway.proxy.testing.ProxyJar;
import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caller budgets as a chat app sees them, with the official {@code openai-java} client, through the
 * packaged jar in front of simulated accounts that report a fixed completion usage.
 */
class CallerBudgetsJarIT {

    private static final String ADMIN_KEY = "admin-key";
    private static final String TEAM_KEY = "team-a-key-that-must-not-leak";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closeable : open.reversed()) {
            closeable.close();
        }
    }

    private ProxyJar proxy(String limits) throws Exception {
        Simulator account = Simulator.start(SimulatorOptions.defaults().withTokensPerMinute(100_000_000).withCompletionTokens(10));
        open.add(account);
        ProxyJar jar = ProxyJar.start(Map.of("SPILLWAY_API_KEYS", ADMIN_KEY,
                "SPILLWAY_BACKENDS", "[{\"name\":\"openai1\",\"url\":\"" + account.url() + "\",\"apiKey\":\"x\"}]",
                "SPILLWAY_CALLERS", "[{\"name\":\"team-a\",\"apiKeys\":[\"" + TEAM_KEY + "\"]" + limits + "}]"), dir.resolve("proxy.log"));
        open.add(jar);
        return jar;
    }

    private OpenAIClient client(ProxyJar proxy, int retries) {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(proxy.url() + "/openai/v1").apiKey(TEAM_KEY).maxRetries(retries)
                .timeout(Duration.ofSeconds(30)).build();
        open.add(client::close);
        return client;
    }

    private static ChatCompletionCreateParams chat(long maxTokens) {
        return ChatCompletionCreateParams.builder().model("chat").addUserMessage("Say something about spillways.").maxCompletionTokens(maxTokens).build();
    }

    private static JsonNode teamA(ProxyJar proxy) throws Exception {
        HttpResponse<String> report = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(proxy.url() + "/callers"))
                .header("api-key", ADMIN_KEY).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(report.body()).path("callers").get(0);
    }

    @Test
    void aStreamTheClientDidNotAskUsageForIsChargedItsUsageAndTheClientSeesNoUsageChunk() throws Exception {
        ProxyJar proxy = proxy(",\"tokensPerMinute\":100000");
        OpenAIClient client = client(proxy, 0);
        long expected = client.chat().completions().create(chat(50)).usage().orElseThrow().totalTokens();

        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(50))) {
            stream.stream().forEach(chunks::add);
        }

        assertThat(chunks).isNotEmpty().allSatisfy(chunk -> {
            assertThat(chunk.usage()).as("no usage in any chunk").isEmpty();
            assertThat(chunk.choices()).as("no usage-only chunk").isNotEmpty();
        });
        JsonNode counted = teamA(proxy).path("counted");
        assertThat(counted.path("promptTokens").asLong() + counted.path("completionTokens").asLong()).isEqualTo(2 * expected);
        assertThat(proxy.output()).doesNotContain(TEAM_KEY);
    }

    @Test
    void aMinuteRefusalCarriesRetryAfterMsAndAnEstimateThatNeverFitsSaysSo() throws Exception {
        ProxyJar proxy = proxy(",\"tokensPerMinute\":150");
        OpenAIClient noRetries = client(proxy, 0);
        RateLimitException refused = null;
        for (int i = 0; i < 20 && refused == null; i++) {
            try {
                noRetries.chat().completions().create(chat(20));
            } catch (RateLimitException e) {
                refused = e;
            }
        }

        assertThat(refused).isNotNull();
        assertThat(refused.headers().values("retry-after-ms")).isNotEmpty();
        assertThatThrownBy(() -> noRetries.chat().completions().create(chat(500))).isInstanceOf(RateLimitException.class)
                .hasMessageContaining("can never be admitted");
    }

    @Test
    void aSpentQuotaIsA403TheOfficialClientDoesNotRetry() throws Exception {
        ProxyJar proxy = proxy(",\"tokenQuota\":100,\"tokenQuotaPeriod\":\"yearly\"");
        OpenAIClient client = client(proxy, 2);
        PermissionDeniedException denied = null;
        for (int i = 0; i < 20 && denied == null; i++) {
            try {
                client.chat().completions().create(chat(20));
            } catch (PermissionDeniedException e) {
                denied = e;
            }
        }

        assertThat(denied).isNotNull().hasMessageContaining("yearly token quota");
        assertThat(teamA(proxy).path("counted").path("quotaRejections").asLong()).as("not retried").isEqualTo(1);
    }

    @Test
    void sixtyFourConcurrentClientsAreAdmittedNoMoreThanTheLimitPlusOneEstimate() throws Exception {
        ProxyJar proxy = proxy(",\"tokensPerMinute\":2000");
        OpenAIClient client = client(proxy, 0);
        ExecutorService pool = Executors.newFixedThreadPool(64);
        AtomicLong served = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 64; t++) {
            done.add(pool.submit(() -> {
                for (int i = 0; i < 10; i++) {
                    try {
                        served.addAndGet(client.chat().completions().create(chat(20)).usage().orElseThrow().totalTokens());
                    } catch (RateLimitException e) {
                        refused.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();

        assertThat(refused.get()).isPositive();
        // One request is estimated at about 28 tokens (prompt characters / 4 plus max 20).
        assertThat(served.get()).isBetween(2000L - 40, 2000L + 40);
        assertThat(teamA(proxy).path("minute").path("used").asLong()).isEqualTo(served.get());
    }
}
