package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spillway.proxy.testing.LogCapture;
import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.ManualClock;
import dev.spillway.proxy.testing.RawClient;
import dev.spillway.proxy.testing.RefusingPort;
import dev.spillway.proxy.testing.RunningProxy;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongPredicate;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Caller budgets against careless or hostile clients and strange accounts: many requests at once,
 * odd bodies, streams cut and split in odd places, compressed streams, absurd usage numbers,
 * spoofed headers, and keys where they must never be.
 */
class CallerBudgetsHostileTest {

    private static final String CHAT = "/openai/deployments/chat/chat/completions?api-version=2024-10-21";
    private static final String TEAM_A_KEY = "sk-team-a-3f9c1e77";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** "user" and "Hi": 6 prompt characters, 1 token by chars/4. */
    private static final String SMALL_CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":20}";
    private static final long SMALL_ESTIMATE = 21;
    private static final String USAGE_18 = "\"usage\":{\"completion_tokens\":7,\"prompt_tokens\":11,\"total_tokens\":18}";

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-02T10:00:00Z"));
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    private RawAccount account(Responder responder) {
        RawAccount account = new RawAccount(responder);
        closing.add(account);
        return account;
    }

    private RunningProxy proxy(String limits, String... backendUrls) {
        RunningProxy.Builder builder = servers.proxy().clock(clock).env("SPILLWAY_CALLERS",
                "[{\"name\":\"team-a\",\"apiKeys\":[\"" + TEAM_A_KEY + "\"]" + limits + "}]");
        for (int i = 0; i < backendUrls.length; i++) {
            builder.backend("openai" + (i + 1), backendUrls[i], 1, "backend-key");
        }
        return builder.start();
    }

    private static HttpResponse<String> chat(RunningProxy proxy, String body) {
        return proxy.post(CHAT, body, "api-key", TEAM_A_KEY);
    }

    private static JsonNode teamA(RunningProxy proxy) {
        try {
            for (JsonNode caller : JSON.readTree(proxy.get("/callers").body()).path("callers")) {
                if (caller.path("name").asText().equals("team-a")) {
                    return caller;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError("no caller team-a");
    }

    private static long minuteUsed(RunningProxy proxy) {
        return teamA(proxy).path("minute").path("used").asLong();
    }

    /** The minute's use once it satisfies {@code settled} (the charge settles as the relay ends), or the last seen after 5 s. */
    private static long minuteUsedOnce(RunningProxy proxy, LongPredicate settled) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        long used = minuteUsed(proxy);
        while (!settled.test(used) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            used = minuteUsed(proxy);
        }
        return used;
    }

    private static String header(HttpResponse<?> answer, String name) {
        return answer.headers().firstValue(name).orElse(null);
    }

    /** An Azure-shaped chat stream with its usage chunk, as an account sends it to a request with include_usage. */
    private static String azureStream(String eol) {
        String e = eol + eol;
        return "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":[{\"prompt_index\":0,"
                + "\"content_filter_results\":{}}],\"usage\":null}" + e
                + "data: {\"choices\":[{\"delta\":{\"content\":\"Spill\"},\"finish_reason\":null,\"index\":0}],\"created\":1,\"id\":\"c1\","
                + "\"model\":\"gpt-4o\",\"object\":\"chat.completion.chunk\",\"usage\":null}" + e
                + "data: {\"choices\":[{\"delta\":{\"content\":\"way\"},\"finish_reason\":\"stop\",\"index\":0}],\"created\":1,\"id\":\"c1\","
                + "\"model\":\"gpt-4o\",\"object\":\"chat.completion.chunk\",\"usage\":null}" + e
                + "data: {\"choices\":[],\"created\":1,\"id\":\"c1\",\"model\":\"gpt-4o\",\"object\":\"chat.completion.chunk\"," + USAGE_18 + "}" + e
                + "data: [DONE]" + e;
    }

    private static String jsonAnswer(String usage) {
        return "{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
                + "\"finish_reason\":\"stop\"}]," + usage + "}";
    }

    private static String streamBody(String extra) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":20" + extra + "}";
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    void thirtyTwoConcurrentRequestsOvershootTheMinuteByAtMostOneEstimate() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        RawAccount account = account((request, out) -> {
            release.await(20, TimeUnit.SECONDS);
            RawAccount.json(out, 200, "", jsonAnswer("\"usage\":{\"completion_tokens\":100,\"prompt_tokens\":1,\"total_tokens\":101}"));
        });
        RunningProxy proxy = proxy(",\"tokensPerMinute\":2000", account.url());
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":100}";
        long estimate = 101;
        List<Thread> threads = new ArrayList<>();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger throttled = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        for (int i = 0; i < 32; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                int status = chat(proxy, body).statusCode();
                (status == 200 ? ok : status == 429 ? throttled : other).incrementAndGet();
            }));
        }
        start.countDown();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        JsonNode caller;
        do {
            Thread.sleep(20);
            caller = teamA(proxy);
        } while (caller.path("counted").path("minuteRejections").asLong() + caller.path("minute").path("used").asLong() / estimate < 32
                && System.nanoTime() < deadline);
        long reserved = caller.path("minute").path("used").asLong();
        release.countDown();
        for (Thread thread : threads) {
            thread.join(20_000);
        }

        assertThat(other.get()).isZero();
        assertThat(reserved).as("reservations in flight").isLessThanOrEqualTo(2000 + estimate).isGreaterThanOrEqualTo(2000);
        assertThat(ok.get()).as("admitted while the window was below 2000").isEqualTo(20);
        assertThat(throttled.get()).isEqualTo(12);
    }

    // ---------------------------------------------------------------- odd request bodies

    @Test
    void anAbsurdMaxTokensIsRefusedAsNeverFittingAndNoAccountIsCalled() {
        RawAccount account = account((request, out) -> RawAccount.json(out, 200, "", jsonAnswer(USAGE_18)));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        HttpResponse<String> answer = chat(proxy, streamBody("").replace("\"max_tokens\":20", "\"max_tokens\":1000000000000"));

        assertThat(answer.statusCode()).isEqualTo(429);
        assertThat(header(answer, "x-should-retry")).isEqualTo("false");
        assertThat(account.received()).isEmpty();
    }

    @Test
    void aMaxTokensTooLargeForALongIsRefusedLikeAnyOtherAbsurdMaxTokens() {
        RawAccount account = account((request, out) -> RawAccount.json(out, 400, "", "{\"error\":{\"code\":\"invalid_value\"}}"));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        HttpResponse<String> answer = chat(proxy, streamBody("").replace("\"max_tokens\":20", "\"max_tokens\":100000000000000000000000"));

        assertThat(answer.statusCode()).as("estimated as more than a minute's budget, not as the body's length / 4").isEqualTo(429);
        assertThat(header(answer, "x-should-retry")).isEqualTo("false");
    }

    @Test
    void aNegativeMaxTokensIsEstimatedAsTheDefaultNotAsZero() {
        RawAccount account = account((request, out) -> RawAccount.json(out, 200, "", jsonAnswer(USAGE_18)));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        HttpResponse<String> answer = chat(proxy, streamBody("").replace("\"max_tokens\":20", "\"max_tokens\":-5"));

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(Long.parseLong(header(answer, "x-spillway-remaining-tokens"))).isLessThanOrEqualTo(100000 - 4096);
    }

    @Test
    void aMaxTokensSentAsAStringIsEstimatedAsTheDefault() {
        RawAccount account = account((request, out) -> RawAccount.json(out, 200, "", jsonAnswer(USAGE_18)));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        HttpResponse<String> answer = chat(proxy, streamBody("").replace("\"max_tokens\":20", "\"max_tokens\":\"20\""));

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(Long.parseLong(header(answer, "x-spillway-remaining-tokens"))).isLessThanOrEqualTo(100000 - 4096);
    }

    @Test
    void aDuplicatedStreamKeyWhoseLastValueIsTrueIsTreatedAsAStreamThatDidNotAskForUsage() throws Exception {
        RawAccount account = account((request, out) -> RawAccount.stream(out, List.of(azureStream("\n")), 0));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        HttpResponse<String> answer = chat(proxy, "{\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":20,\"stream\":true}");

        assertThat(answer.body()).contains("Spill").contains("way").contains("[DONE]").doesNotContain("usage");
        assertThat(JSON.readTree(account.received().get(0).body()).path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(minuteUsedOnce(proxy, used -> used == 18)).isEqualTo(18);
    }

    @Test
    void streamTrueAsAStringIsForwardedUntouched() {
        RawAccount account = account((request, out) -> RawAccount.json(out, 400, "", "{\"error\":{\"code\":\"invalid_type\"}}"));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());
        String body = streamBody(",\"stream\":\"true\"");

        HttpResponse<String> answer = chat(proxy, body);

        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(account.received().get(0).body()).isEqualTo(body);
        assertThat(minuteUsed(proxy)).as("the account refused it").isZero();
    }

    @Test
    void streamOptionsNullIsReplacedByIncludeUsageAndTheClientSeesNoUsage() throws Exception {
        RawAccount account = account((request, out) -> RawAccount.stream(out, List.of(azureStream("\n")), 0));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        HttpResponse<String> answer = chat(proxy, streamBody(",\"stream\":true,\"stream_options\":null"));

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).contains("Spill").doesNotContain("usage");
        JsonNode sent = JSON.readTree(account.received().get(0).body());
        assertThat(sent.path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(sent.path("messages").get(0).path("content").asText()).isEqualTo("Hi");
        assertThat(minuteUsedOnce(proxy, used -> used == 18)).isEqualTo(18);
    }

    @Test
    void aBodyThatIsAJsonArrayIsForwardedAsItCameAndChargedNothingWhenTheAccountRefusesIt() throws Exception {
        RawAccount account = account((request, out) -> RawAccount.json(out, 400, "", "{\"error\":{\"code\":\"invalid_request\"}}"));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());
        String body = "[" + streamBody(",\"stream\":true") + "]";

        HttpResponse<String> answer = chat(proxy, body);

        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(account.received().get(0).body()).isEqualTo(body);
        assertThat(header(answer, "x-spillway-caller")).isEqualTo("team-a");
        assertThat(minuteUsedOnce(proxy, used -> used == 0)).isZero();
    }

    // ---------------------------------------------------------------- strange streams

    @Test
    void aStreamSplitInOddPlacesIsStrippedAndChargedItsUsage() throws Exception {
        String stream = azureStream("\n");
        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < stream.length(); i += 7) {
            pieces.add(stream.substring(i, Math.min(stream.length(), i + 7)));
        }
        RawAccount account = account((request, out) -> RawAccount.stream(out, pieces, 3));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        HttpResponse<String> answer = chat(proxy, streamBody(",\"stream\":true"));

        assertThat(answer.body()).contains("Spill").contains("way").contains("data: [DONE]").doesNotContain("usage")
                .doesNotContain("\"choices\":[],\"created\":1");
        assertThat(minuteUsedOnce(proxy, used -> used == 18)).isEqualTo(18);
    }

    @Test
    void aStreamWithCrLfLineEndsIsStrippedAndChargedItsUsage() throws Exception {
        String stream = azureStream("\r\n");
        // Split between the CR and LF of a blank line too.
        int cut = stream.indexOf("\r\n\r\n") + 3;
        RawAccount account = account((request, out) -> RawAccount.stream(out, List.of(stream.substring(0, cut), stream.substring(cut)), 20));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        HttpResponse<String> answer = chat(proxy, streamBody(",\"stream\":true"));

        assertThat(answer.body()).contains("Spill").contains("way").contains("data: [DONE]").doesNotContain("usage");
        assertThat(minuteUsedOnce(proxy, used -> used == 18)).isEqualTo(18);
    }

    @Test
    void aUsageChunkWithNonEmptyChoicesKeepsItsChoicesAndLosesOnlyItsUsage() throws Exception {
        String stream = "data: {\"choices\":[{\"delta\":{\"content\":\"Spill\"},\"finish_reason\":null,\"index\":0}],\"usage\":null}\n\n"
                + "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\",\"index\":0}],\"id\":\"c1\"," + USAGE_18 + "}\n\n"
                + "data: [DONE]\n\n";
        RawAccount account = account((request, out) -> RawAccount.stream(out, List.of(stream), 0));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        HttpResponse<String> answer = chat(proxy, streamBody(",\"stream\":true"));

        assertThat(answer.body()).contains("Spill").contains("\"finish_reason\":\"stop\"").doesNotContain("usage");
        for (String line : answer.body().split("\n")) {
            if (line.startsWith("data: {")) {
                JSON.readTree(line.substring(6));
            }
        }
        assertThat(minuteUsedOnce(proxy, used -> used == 18)).isEqualTo(18);
    }

    @Test
    void aGzippedStreamTheClientDidNotAskUsageForShowsNoUsageAndIsChargedItsUsage() throws Exception {
        RawAccount account = account((request, out) -> {
            String encoding = request.header("accept-encoding");
            if (encoding != null && encoding.contains("gzip")) {
                ByteArrayOutputStream zipped = new ByteArrayOutputStream();
                try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
                    gzip.write(azureStream("\n").getBytes(StandardCharsets.UTF_8));
                }
                RawAccount.streamBytes(out, "Content-Encoding: gzip\r\n", List.of(zipped.toByteArray()), 0);
            } else {
                RawAccount.stream(out, List.of(azureStream("\n")), 0);
            }
        });
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        HttpResponse<byte[]> answer = proxy.send(proxy.request(CHAT, "api-key", TEAM_A_KEY, "Accept-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofString(streamBody(",\"stream\":true"))).build(), HttpResponse.BodyHandlers.ofByteArray());
        String text;
        if ("gzip".equals(header(answer, "Content-Encoding"))) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(answer.body()))) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } else {
            text = new String(answer.body(), StandardCharsets.UTF_8);
        }

        assertThat(text).contains("Spill").doesNotContain("usage");
        assertThat(minuteUsedOnce(proxy, used -> used == 18)).as("charged what the account reported").isEqualTo(18);
    }

    @Test
    void aGzippedJsonAnswerIsChargedTheUsageItReportsNotTheEstimate() throws Exception {
        RawAccount account = account((request, out) -> {
            String encoding = request.header("accept-encoding");
            byte[] body = jsonAnswer(USAGE_18).getBytes(StandardCharsets.UTF_8);
            if (encoding != null && encoding.contains("gzip")) {
                ByteArrayOutputStream zipped = new ByteArrayOutputStream();
                try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
                    gzip.write(body);
                }
                body = zipped.toByteArray();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: " + body.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            } else {
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
            }
            out.write(body);
            out.flush();
        });
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());
        // What the openai Python SDK (httpx) sends on every request.
        HttpResponse<byte[]> answer = proxy.send(proxy.request(CHAT, "api-key", TEAM_A_KEY, "Accept-Encoding", "gzip, deflate")
                .POST(HttpRequest.BodyPublishers.ofString(streamBody("").replace("\"max_tokens\":20,", "").replace(",\"max_tokens\":20", "")))
                .build(), HttpResponse.BodyHandlers.ofByteArray());

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(minuteUsedOnce(proxy, used -> used == 18)).as("charged the 18 reported, not the 4097 estimated").isEqualTo(18);
    }

    @Test
    void aStreamThatBreaksMidwayIsChargedItsReservation() throws Exception {
        RawAccount account = account((request, out) -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String first = "data: {\"choices\":[{\"delta\":{\"content\":\"Spill\"},\"index\":0}],\"usage\":null}\n\n";
            out.write((Integer.toHexString(first.length()) + "\r\n" + first + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(100);
            throw new IOException("die mid-stream");
        });
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        HttpResponse<InputStream> answer = proxy.send(proxy.request(CHAT, "api-key", TEAM_A_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(streamBody(",\"stream\":true"))).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = answer.body()) {
            in.readAllBytes();
        } catch (IOException expected) {
            // cut off, as it should be
        }

        assertThat(minuteUsedOnce(proxy, used -> used == SMALL_ESTIMATE)).isEqualTo(SMALL_ESTIMATE);
        assertThat(teamA(proxy).path("counted").path("completionTokens").asLong()).isZero();
    }

    // ---------------------------------------------------------------- absurd usage numbers

    @Test
    void hugeReportedUsageFromRequestsInFlightNeverWrapsTheBudgetBackToUnused() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        String huge = "\"usage\":{\"completion_tokens\":999999999999999999,\"prompt_tokens\":999999999999999999,\"total_tokens\":1}";
        RawAccount account = account((request, out) -> {
            release.await(20, TimeUnit.SECONDS);
            RawAccount.json(out, 200, "", jsonAnswer(huge));
        });
        RunningProxy proxy = proxy(",\"tokensPerMinute\":1000000,\"tokenQuota\":1000000,\"tokenQuotaPeriod\":\"daily\"", account.url());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            threads.add(Thread.ofPlatform().start(() -> chat(proxy, SMALL_CHAT)));
        }
        minuteUsedOnce(proxy, used -> used == 5 * SMALL_ESTIMATE);
        release.countDown();
        for (Thread thread : threads) {
            thread.join(20_000);
        }

        JsonNode caller = teamA(proxy);
        assertThat(caller.path("minute").path("used").asLong()).as("window").isGreaterThanOrEqualTo(1_000_000);
        assertThat(caller.path("quota").path("used").asLong()).as("quota").isGreaterThanOrEqualTo(1_000_000);
        assertThat(chat(proxy, SMALL_CHAT).statusCode()).as("a spent budget admits nothing more").isIn(403, 429);
    }

    @Test
    void negativeReportedUsageNeverMakesTheChargeNegative() throws Exception {
        RawAccount account = account((request, out) -> RawAccount.json(out, 200, "",
                jsonAnswer("\"usage\":{\"completion_tokens\":-1000,\"prompt_tokens\":-50,\"total_tokens\":-1050}")));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000,\"tokenQuota\":100000,\"tokenQuotaPeriod\":\"daily\"", account.url());

        assertThat(chat(proxy, SMALL_CHAT).statusCode()).isEqualTo(200);

        JsonNode caller = teamA(proxy);
        assertThat(caller.path("minute").path("used").asLong()).as("no usable usage: the reservation stands").isEqualTo(SMALL_ESTIMATE);
        assertThat(caller.path("quota").path("used").asLong()).isEqualTo(SMALL_ESTIMATE);
        assertThat(caller.path("counted").path("promptTokens").asLong()).isNotNegative();
        assertThat(caller.path("counted").path("completionTokens").asLong()).isNotNegative();
    }

    @Test
    void fractionalReportedUsageIsChargedAboutWhatItSays() throws Exception {
        RawAccount account = account((request, out) -> RawAccount.json(out, 200, "",
                jsonAnswer("\"usage\":{\"completion_tokens\":7.9,\"prompt_tokens\":11.2,\"total_tokens\":19.1}")));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        assertThat(chat(proxy, SMALL_CHAT).statusCode()).isEqualTo(200);

        assertThat(minuteUsedOnce(proxy, used -> used != SMALL_ESTIMATE)).isBetween(18L, 20L);
    }

    // ---------------------------------------------------------------- clients that leave

    @Test
    void aClientThatLeavesBeforeTheAnswerIsStillChargedForWhatTheAccountServed() throws Exception {
        CountDownLatch clientGone = new CountDownLatch(1);
        RawAccount account = account((request, out) -> {
            clientGone.await(10, TimeUnit.SECONDS);
            Thread.sleep(200);
            RawAccount.json(out, 200, "", jsonAnswer(USAGE_18));
        });
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());
        String request = "POST " + CHAT + " HTTP/1.1\r\nHost: proxy\r\napi-key: " + TEAM_A_KEY + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + SMALL_CHAT.length() + "\r\n\r\n" + SMALL_CHAT;
        try (Socket socket = new Socket("127.0.0.1", java.net.URI.create(proxy.url()).getPort())) {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (account.received().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
        clientGone.countDown();
        Thread.sleep(1000);

        long used = minuteUsed(proxy);
        assertThat(used).as("the account did the work: its usage or the reservation, not 0").isIn(18L, SMALL_ESTIMATE);
    }

    // ---------------------------------------------------------------- keys

    @Test
    void aCallersKeyAsAuthorizationBearerIsThatCaller() throws Exception {
        RawAccount account = account((request, out) -> RawAccount.json(out, 200, "", jsonAnswer(USAGE_18)));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        HttpResponse<String> answer = proxy.post(CHAT, SMALL_CHAT, "Authorization", "Bearer " + TEAM_A_KEY);

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(header(answer, "x-spillway-caller")).isEqualTo("team-a");
        assertThat(minuteUsedOnce(proxy, used -> used == 18)).isEqualTo(18);
    }

    @Test
    void aCallersKeyInAnotherLetterCaseIsNoKey() {
        RawAccount account = account((request, out) -> RawAccount.json(out, 200, "", jsonAnswer(USAGE_18)));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        HttpResponse<String> answer = proxy.post(CHAT, SMALL_CHAT, "api-key", TEAM_A_KEY.toUpperCase(Locale.ROOT));

        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(account.received()).isEmpty();
    }

    @Test
    void aCallersKeyIsNeverForwardedToTheAccount() {
        RawAccount account = account((request, out) -> RawAccount.json(out, 200, "", jsonAnswer(USAGE_18)));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", account.url());

        proxy.post(CHAT, SMALL_CHAT, "api-key", TEAM_A_KEY);
        proxy.post(CHAT, SMALL_CHAT, "Authorization", "Bearer " + TEAM_A_KEY);

        assertThat(account.received()).hasSize(2);
        for (RawAccount.Received received : account.received()) {
            assertThat(received.head()).doesNotContain(TEAM_A_KEY).contains("backend-key");
        }
    }

    @Test
    void aCallersKeyNeverAppearsInLogsMetricsReportsOrAnswers() throws Exception {
        RawAccount account = account((request, out) -> RawAccount.json(out, 200, "", jsonAnswer(USAGE_18)));
        List<String> seen = new ArrayList<>();
        String logs;
        try (LogCapture log = new LogCapture()) {
            RunningProxy proxy = proxy(",\"tokensPerMinute\":100", account.url());
            for (int i = 0; i < 8; i++) {
                seen.add(chat(proxy, SMALL_CHAT).toString());
                seen.add(chat(proxy, SMALL_CHAT).body());
            }
            seen.add(chat(proxy, streamBody("").replace("\"max_tokens\":20", "\"max_tokens\":5000")).body());
            seen.add(proxy.post(CHAT, SMALL_CHAT, "Authorization", "Bearer " + TEAM_A_KEY).body());
            seen.add(proxy.post(CHAT, SMALL_CHAT, "api-key", TEAM_A_KEY + "x").body());
            seen.add(proxy.post("/openai/v1/chat/completions", "{\"model\":", "api-key", TEAM_A_KEY).body());
            seen.add(proxy.get("/callers").body());
            seen.add(proxy.get("/metrics").body());
            seen.add(proxy.get("/backends").body());
            logs = log.text();
        }

        assertThat(logs).doesNotContain(TEAM_A_KEY);
        assertThat(String.join("\n", seen)).doesNotContain(TEAM_A_KEY);
    }

    // ---------------------------------------------------------------- headers

    @Test
    void anAccountCannotSpoofTheCallerHeadersOfANamedCaller() {
        RawAccount account = account((request, out) -> RawAccount.json(out, 200,
                "x-spillway-caller: mallory\r\nx-spillway-remaining-tokens: 999999\r\nx-spillway-remaining-quota-tokens: 999999\r\n",
                jsonAnswer(USAGE_18)));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":1000,\"tokenQuota\":5000,\"tokenQuotaPeriod\":\"daily\"", account.url());

        HttpResponse<String> answer = chat(proxy, SMALL_CHAT);

        assertThat(answer.headers().allValues("x-spillway-caller")).containsExactly("team-a");
        assertThat(answer.headers().allValues("x-spillway-remaining-tokens")).containsExactly(Long.toString(1000 - SMALL_ESTIMATE));
        assertThat(answer.headers().allValues("x-spillway-remaining-quota-tokens")).containsExactly(Long.toString(5000 - SMALL_ESTIMATE));
    }

    @Test
    void anAccountCannotNameACallerForAPlainKey() {
        RawAccount account = account((request, out) -> RawAccount.json(out, 200,
                "x-spillway-caller: team-a\r\nx-spillway-remaining-tokens: 999999\r\n", jsonAnswer(USAGE_18)));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":1000", account.url());

        HttpResponse<String> answer = proxy.post(CHAT, SMALL_CHAT, "api-key", RunningProxy.CLIENT_KEY);

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().allValues("x-spillway-caller")).isEmpty();
        assertThat(answer.headers().allValues("x-spillway-remaining-tokens")).isEmpty();
    }

    @Test
    void theProxysOwnRefusalOfABrokenBodyStillNamesTheCaller() {
        RawAccount account = account((request, out) -> RawAccount.json(out, 200, "", jsonAnswer(USAGE_18)));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":1000", account.url());

        HttpResponse<String> answer = proxy.post("/openai/v1/chat/completions", "{\"model\":", "api-key", TEAM_A_KEY);

        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(header(answer, "x-spillway-caller")).as("every answer to a named caller says who it is").isEqualTo("team-a");
    }

    // ---------------------------------------------------------------- what is refused, what is served

    @Test
    void aNonTokenCallOfACallerOverItsQuotaIsStillServed() {
        RawAccount account = account((request, out) -> {
            if (request.head().startsWith("GET")) {
                RawAccount.json(out, 200, "", "{\"object\":\"list\",\"data\":[]}");
            } else {
                RawAccount.json(out, 200, "", jsonAnswer("\"usage\":{\"completion_tokens\":40,\"prompt_tokens\":20,\"total_tokens\":60}"));
            }
        });
        RunningProxy proxy = proxy(",\"tokenQuota\":50,\"tokenQuotaPeriod\":\"daily\"", account.url());
        assertThat(chat(proxy, SMALL_CHAT).statusCode()).isEqualTo(200);
        assertThat(chat(proxy, SMALL_CHAT).statusCode()).as("the quota is spent").isEqualTo(403);

        HttpResponse<String> files = proxy.get("/openai/v1/files", "api-key", TEAM_A_KEY);

        assertThat(files.statusCode()).isEqualTo(200);
        assertThat(files.body()).contains("\"object\":\"list\"");
        assertThat(header(files, "x-spillway-caller")).isEqualTo("team-a");
        assertThat(header(files, "x-spillway-remaining-quota-tokens")).isEqualTo("0");
    }

    @Test
    void aRequestNoAccountCouldBeReachedForIsChargedNothingAndStillNamesTheCaller() throws Exception {
        RefusingPort refusing = new RefusingPort();
        closing.add(refusing);
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100000", refusing.url());

        HttpResponse<String> answer = chat(proxy, SMALL_CHAT);

        assertThat(answer.statusCode()).isGreaterThanOrEqualTo(500);
        assertThat(header(answer, "x-spillway-caller")).isEqualTo("team-a");
        assertThat(minuteUsedOnce(proxy, used -> used == 0)).isZero();
    }

    @Test
    void aCallerOverItsMinuteCannotSlipATokenCallThroughAsHttp10() {
        RawAccount account = account((request, out) -> RawAccount.json(out, 200, "",
                jsonAnswer("\"usage\":{\"completion_tokens\":100,\"prompt_tokens\":100,\"total_tokens\":200}")));
        RunningProxy proxy = proxy(",\"tokensPerMinute\":100", account.url());
        assertThat(chat(proxy, SMALL_CHAT).statusCode()).isEqualTo(200);
        int calls = account.received().size();

        RawClient.Answer answer = RawClient.send(proxy.url(), RawClient.post(CHAT, "HTTP/1.0", SMALL_CHAT)
                .replace("api-key: " + RunningProxy.CLIENT_KEY, "api-key: " + TEAM_A_KEY), Duration.ofSeconds(5));

        assertThat(answer.statusLine()).contains("429");
        assertThat(account.received()).hasSize(calls);
    }

    // ---------------------------------------------------------------- a raw account

    /** Writes a response for one received request. */
    interface Responder {
        void respond(RawAccount.Received request, OutputStream out) throws Exception;
    }

    /** An account on loopback that answers with whatever bytes the test writes, one request per connection. */
    static final class RawAccount implements AutoCloseable {

        record Received(String head, String body) {
            String header(String name) {
                for (String line : head.split("\r\n")) {
                    int colon = line.indexOf(':');
                    if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                        return line.substring(colon + 1).trim();
                    }
                }
                return null;
            }
        }

        private final ServerSocket server;
        private final Responder responder;
        private final List<Received> received = new CopyOnWriteArrayList<>();
        private final List<Socket> open = new CopyOnWriteArrayList<>();

        RawAccount(Responder responder) {
            this.responder = responder;
            try {
                server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread.ofVirtual().start(this::accept);
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        List<Received> received() {
            return received;
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    open.add(socket);
                    Thread.ofVirtual().start(() -> serve(socket));
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private void serve(Socket socket) {
            try (socket) {
                InputStream in = socket.getInputStream();
                while (true) {
                    Received request = read(in);
                    if (request == null) {
                        return;
                    }
                    received.add(request);
                    OutputStream out = socket.getOutputStream();
                    responder.respond(request, out);
                    out.flush();
                }
            } catch (Exception gone) {
                // the proxy went away, or the responder broke the connection on purpose
            }
        }

        private static Received read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            int matched = 0;
            while ((b = in.read()) != -1) {
                head.write(b);
                matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
                if (matched == 4) {
                    break;
                }
            }
            if (b == -1) {
                return null;
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            Received headOnly = new Received(text, "");
            String length = headOnly.header("content-length");
            byte[] body;
            if (length != null) {
                body = in.readNBytes(Integer.parseInt(length));
            } else if ("chunked".equalsIgnoreCase(headOnly.header("transfer-encoding"))) {
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                while (true) {
                    int size = Integer.parseInt(line(in).split(";")[0].trim(), 16);
                    if (size == 0) {
                        line(in);
                        break;
                    }
                    all.write(in.readNBytes(size));
                    line(in);
                }
                body = all.toByteArray();
            } else {
                body = new byte[0];
            }
            return new Received(text, new String(body, StandardCharsets.UTF_8));
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            int b;
            while ((b = in.read()) != -1 && b != '\n') {
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }

        static void json(OutputStream out, int status, String extraHeaders, String body) throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            out.write(("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\n" + extraHeaders + "Content-Length: " + bytes.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
        }

        static void stream(OutputStream out, List<String> pieces, long pauseMillis) throws Exception {
            List<byte[]> bytes = new ArrayList<>();
            pieces.forEach(piece -> bytes.add(piece.getBytes(StandardCharsets.UTF_8)));
            streamBytes(out, "", bytes, pauseMillis);
        }

        static void streamBytes(OutputStream out, String extraHeaders, List<byte[]> pieces, long pauseMillis) throws Exception {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n" + extraHeaders + "Transfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            for (byte[] piece : pieces) {
                out.write((Integer.toHexString(piece.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(piece);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                if (pauseMillis > 0) {
                    Thread.sleep(pauseMillis);
                }
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
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
}
