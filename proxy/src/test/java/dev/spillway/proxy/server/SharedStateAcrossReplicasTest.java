package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spillway.proxy.testing.LogCapture;
import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RedisServer;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.proxy.testing.ScriptedBackend;
import dev.spillway.simulator.Simulator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two replicas of the proxy sharing a real redis-server (SPILLWAY_STATE), over real HTTP: what one
 * replica learns (a caller's spending, an account's 429, an object's home) holds at the other, and
 * a store that vanishes fails no request.
 */
class SharedStateAcrossReplicasTest {

    private static final String CHAT = "/openai/deployments/chat/chat/completions?api-version=2024-10-21";
    private static final String SMALL_CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":20}";
    private static final String TEAM_KEY = "team-a-key-for-tests";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private RedisServer redis;

    @BeforeEach
    void startRedis() {
        redis = RedisServer.start();
    }

    @AfterEach
    void stopRedis() {
        redis.close();
    }

    private RunningProxy.Builder replica(String callers) {
        RunningProxy.Builder builder = servers.proxy().env("SPILLWAY_STATE", redis.url());
        return callers == null ? builder : builder.env("SPILLWAY_CALLERS", callers);
    }

    private static HttpResponse<String> teamChat(RunningProxy proxy) {
        return proxy.post(CHAT, SMALL_CHAT, "api-key", TEAM_KEY);
    }

    private static long usage(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body()).path("usage").path("total_tokens").asLong();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 5 s for " + what).isLessThan(deadline);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static boolean storeUp(RunningProxy proxy) {
        return proxy.get("/metrics").body().contains("spillway_state_store_up 1.0");
    }

    private static String callers(long tokensPerMinute) {
        return "[{\"name\":\"team-a\",\"apiKeys\":[\"" + TEAM_KEY + "\"],\"tokensPerMinute\":" + tokensPerMinute + "}]";
    }

    @Test
    void aCallersPerMinuteBudgetHoldsAcrossReplicasWithinTheLimitPlusOneEstimate() {
        Simulator account = servers.account();
        RunningProxy first = replica(callers(200)).backend("openai1", account, 1).start();
        RunningProxy second = replica(callers(200)).backend("openai1", account, 1).start();
        await("both replicas to reach the store", () -> storeUp(first) && storeUp(second));

        long served = 0;
        int refused = 0;
        for (int i = 0; i < 40 && refused < 2; i++) {
            HttpResponse<String> answer = teamChat(i % 2 == 0 ? first : second);
            if (answer.statusCode() == 200) {
                served += usage(answer);
            } else {
                assertThat(answer.statusCode()).isEqualTo(429);
                refused++;
            }
        }

        assertThat(refused).as("both replicas refuse once the shared window is full").isEqualTo(2);
        // Alone, each replica would have let its own 200 through: about 400 in all.
        assertThat(served).isBetween(200L, 200L + 21 + 30);
    }

    @Test
    void aReplicaStaysOffAnAccountThatAnsweredAnotherReplica429ForAsLongAsItAsked() {
        ScriptedBackend throttled = servers.scripted(n -> n == 1
                ? new ScriptedBackend.Reply(429, Map.of("retry-after-ms", "30000"), "{\"error\":{\"code\":\"429\"}}")
                : ScriptedBackend.Reply.ok());
        ScriptedBackend spare = servers.scripted(n -> ScriptedBackend.Reply.ok());
        RunningProxy first = replica(null).backend("preferred", throttled.url(), 1, "k").backend("spare", spare.url(), 2, "k").start();
        RunningProxy second = replica(null).backend("preferred", throttled.url(), 1, "k").backend("spare", spare.url(), 2, "k").start();
        await("both replicas to reach the store", () -> storeUp(first) && storeUp(second));

        assertThat(first.chat("chat").headers().firstValue("x-spillway-backend")).hasValue("spare");
        await("the block to reach the other replica", () -> second.get("/backends").body().contains("\"state\":\"throttled\""));
        for (int i = 0; i < 5; i++) {
            assertThat(second.chat("chat").headers().firstValue("x-spillway-backend")).hasValue("spare");
        }

        assertThat(throttled.requests()).as("only the first replica's one request reached the throttled account").isEqualTo(1);
    }

    @Test
    void anObjectCreatedThroughOneReplicaIsReachedThroughAnotherWithoutALookup() throws IOException {
        Simulator one = servers.account();
        Simulator two = servers.account();
        RunningProxy first = replica(null).backend("openai1", one, 1).backend("openai2", two, 1).start();
        RunningProxy second = replica(null).backend("openai1", one, 1).backend("openai2", two, 1).start();
        await("both replicas to reach the store", () -> storeUp(first) && storeUp(second));

        HttpResponse<String> created = first.post("/openai/v1/responses", "{\"model\":\"chat\",\"input\":\"Hi\",\"max_output_tokens\":20}");
        assertThat(created.statusCode()).isEqualTo(200);
        String home = created.headers().firstValue("x-spillway-backend").orElseThrow();
        String id = JSON.readTree(created.body()).path("id").asText();

        HttpResponse<String> fetched = second.get("/openai/v1/responses/" + id);

        assertThat(fetched.statusCode()).isEqualTo(200);
        assertThat(fetched.headers().firstValue("x-spillway-backend")).hasValue(home);
        Simulator other = home.equals("openai1") ? two : one;
        assertThat(other.traffic().recent().stream().filter(r -> r.method().equals("GET"))).as("no account was asked").isEmpty();
    }

    @Test
    void aStoreThatVanishesFailsNoRequestIsLoggedOnceAndIsSharedAgainWithinFiveSecondsOfItsReturn() {
        Simulator account = servers.account();
        RunningProxy first = replica(callers(1_000_000)).backend("openai1", account, 1).start();
        RunningProxy second = replica(callers(1_000_000)).backend("openai1", account, 1).start();
        await("both replicas to reach the store", () -> storeUp(first) && storeUp(second));

        try (LogCapture logs = new LogCapture()) {
            redis.kill();
            for (int i = 0; i < 10; i++) {
                assertThat(teamChat(i % 2 == 0 ? first : second).statusCode()).isEqualTo(200);
            }
            await("the gauge to read 0", () -> !storeUp(first));
            assertThat(first.get("/readyz").statusCode()).isEqualTo(200);
            assertThat(logs.lines().stream().filter(line -> line.contains("shared state store") && line.contains(" lost: ")))
                    .as("one line per replica").hasSize(2);

            redis.startAgain();
            await("both replicas to find the store again", () -> storeUp(first) && storeUp(second));
            assertThat(logs.lines().stream().filter(line -> line.contains(" is back: "))).hasSize(2);
        }
        assertThat(teamChat(first).statusCode()).isEqualTo(200);
        JsonNode callers = readTree(second.get("/callers").body());
        assertThat(callers.toString()).as("counted in the store again, seen by the other replica").contains("team-a");
    }

    private static JsonNode readTree(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
