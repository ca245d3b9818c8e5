package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.ManualClock;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.proxy.testing.ScriptedBackend;
import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the proxy does when accounts answer 429: fail over at once, and stay away as long as asked. */
class ThrottlingTest {

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-27T10:00:00Z"));
    private RunningProxy proxy;

    private Optional<String> backendAnswering() {
        HttpResponse<String> response = proxy.chat("chat");
        assertThat(response.statusCode()).isEqualTo(200);
        return response.headers().firstValue("x-spillway-backend");
    }

    @Test
    void requestThrottledByOneBackendIsAnsweredByAnother() {
        Simulator throttled = servers.account();
        Simulator healthy = servers.account();
        throttled.faults().throttleAll(Duration.ofSeconds(30));
        proxy = servers.proxy().backend("openai1", throttled, 1).backend("openai2", healthy, 1).start();

        for (int i = 0; i < 10; i++) {
            HttpResponse<String> response = proxy.chat("chat");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-spillway-backend")).hasValue("openai2");
        }
        assertThat(throttled.traffic().calls()).as("a blocked backend is called at most once").isLessThanOrEqualTo(1);
    }

    @Test
    void blockedBackendIsNotCalledAgainUntilItsRetryAfterMsHasPassedToTheMillisecond() {
        Simulator preferred = servers.account();
        Simulator fallback = servers.account();
        preferred.faults().throttleAll(Duration.ofMillis(1500));
        proxy = servers.proxy().backend("openai1", preferred, 1).backend("openai2", fallback, 2).clock(clock).start();

        assertThat(backendAnswering()).hasValue("openai2");
        preferred.faults().clear();
        clock.advance(Duration.ofMillis(1499));
        assertThat(backendAnswering()).as("1,499 ms into a 1,500 ms block").hasValue("openai2");
        assertThat(preferred.traffic().calls()).isEqualTo(1);

        clock.advance(Duration.ofMillis(1));
        assertThat(backendAnswering()).as("1,500 ms into a 1,500 ms block").hasValue("openai1");
        assertThat(preferred.traffic().calls()).isEqualTo(2);
    }

    @Test
    void retryAfterMsIsPreferredToRetryAfter() {
        Simulator preferred = servers.account();
        Simulator fallback = servers.account();
        preferred.faults().throttleAll(Duration.ofMillis(300), Duration.ofSeconds(20));
        proxy = servers.proxy().backend("openai1", preferred, 1).backend("openai2", fallback, 2).clock(clock).start();

        assertThat(backendAnswering()).hasValue("openai2");
        preferred.faults().clear();
        clock.advance(Duration.ofMillis(300));

        assertThat(backendAnswering()).hasValue("openai1");
    }

    @Test
    void retryAfterInSecondsIsHonouredWhenNoMillisecondsAreGiven() {
        Simulator preferred = servers.account();
        Simulator fallback = servers.account();
        preferred.faults().throttleAllSecondsOnly(Duration.ofSeconds(2));
        proxy = servers.proxy().backend("openai1", preferred, 1).backend("openai2", fallback, 2).clock(clock).start();

        assertThat(backendAnswering()).hasValue("openai2");
        preferred.faults().clear();
        clock.advance(Duration.ofMillis(1999));
        assertThat(backendAnswering()).as("1,999 ms into a Retry-After: 2").hasValue("openai2");
        clock.advance(Duration.ofMillis(1));
        assertThat(backendAnswering()).as("2 s into a Retry-After: 2").hasValue("openai1");
    }

    @Test
    void a429WithoutAnyRetryHintBlocksForTenSeconds() {
        // README: "... else 10 s". Azure always sends a hint; this is the proxy's own fallback.
        try (ScriptedBackend hintless = new ScriptedBackend(n -> n == 1
                ? new ScriptedBackend.Reply(429, Map.of(), "{\"error\":{\"code\":\"429\"}}") : ScriptedBackend.Reply.ok())) {
            Simulator fallback = servers.account();
            proxy = servers.proxy().backend("openai1", hintless.url(), 1, "k").backend("openai2", fallback, 2).clock(clock).start();

            assertThat(backendAnswering()).hasValue("openai2");
            clock.advance(Duration.ofMillis(9_999));
            assertThat(backendAnswering()).as("9,999 ms after a bare 429").hasValue("openai2");
            clock.advance(Duration.ofMillis(1));
            assertThat(backendAnswering()).as("10 s after a bare 429").hasValue("openai1");
            assertThat(hintless.requests()).isEqualTo(2);
        }
    }

    @Test
    void blockingIsPerDeploymentSoAnotherDeploymentOnTheSameBackendIsStillUsed() {
        Simulator preferred = servers.account();
        Simulator fallback = servers.account();
        preferred.faults().throttle("chat", Duration.ofSeconds(30));
        proxy = servers.proxy().backend("openai1", preferred, 1).backend("openai2", fallback, 2).start();

        assertThat(proxy.chat("chat").headers().firstValue("x-spillway-backend")).hasValue("openai2");
        HttpResponse<String> embedding = proxy.post("/openai/deployments/embedding/embeddings?api-version=2024-10-21",
                "{\"input\":\"spillways\"}");

        assertThat(embedding.statusCode()).isEqualTo(200);
        assertThat(embedding.headers().firstValue("x-spillway-backend")).hasValue("openai1");
    }

    @Test
    void whenEveryBackendAnswers429TheClientGets429WithTheEarliestRetryTime() {
        Simulator first = servers.account();
        Simulator second = servers.account();
        first.faults().throttleAll(Duration.ofMillis(4000));
        second.faults().throttleAll(Duration.ofMillis(2500));
        // Without the bounded wait (BoundedWaitTest), which would hold the request for the 2.5 s.
        proxy = servers.proxy().backend("openai1", first, 1).backend("openai2", second, 1).clock(clock)
                .env("SPILLWAY_MAX_WAIT_MS", "0").start();

        HttpResponse<String> response = proxy.chat("chat");

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("retry-after-ms")).hasValue("2500");
        assertThat(response.headers().firstValue("Retry-After")).hasValue("3");
        assertThat(response.body()).contains("\"code\":\"429\"").contains("rate limited");
        assertThat(first.traffic().calls() + second.traffic().calls()).isEqualTo(2);
    }

    @Test
    void whenEveryBackendIsBlockedTheProxyAnswers429AtOnceWithoutCallingAnyone() {
        Simulator first = servers.account();
        Simulator second = servers.account();
        first.faults().throttleAll(Duration.ofMillis(5000));
        second.faults().throttleAll(Duration.ofMillis(3000));
        proxy = servers.proxy().backend("openai1", first, 1).backend("openai2", second, 2).clock(clock)
                .env("SPILLWAY_MAX_WAIT_MS", "0").start();
        proxy.chat("chat");
        long callsBefore = first.traffic().calls() + second.traffic().calls();
        clock.advance(Duration.ofMillis(1000));

        HttpResponse<String> response = proxy.chat("chat");

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(first.traffic().calls() + second.traffic().calls()).isEqualTo(callsBefore);
        assertThat(response.headers().firstValue("retry-after-ms")).as("the earlier block, 3,000 ms, 1,000 ms on").hasValue("2000");
        assertThat(response.headers().firstValue("Retry-After")).hasValue("2");
    }

    @Test
    void quotaReportedAsSpentSpillsOverToTheNextAccountBeforeAny429() {
        Simulator small = servers.account(SimulatorOptions.defaults().withApiKey("backend-key").withTokensPerMinute(2000), clock);
        Simulator large = servers.account();
        proxy = servers.proxy().backend("openai1", small, 1).backend("openai2", large, 2).clock(clock).start();

        // 2000 TPM gives 2 requests per 10 s window; after the second, its headers say no requests are left.
        for (int i = 0; i < 4; i++) {
            assertThat(proxy.chat("chat").statusCode()).isEqualTo(200);
        }
        assertThat(small.traffic().calls()).isEqualTo(2);
        assertThat(small.traffic().answered429()).isZero();
        assertThat(large.traffic().calls()).isEqualTo(2);
    }

    @Test
    void whenNoAccountReportsRoomTheAccountStillDecidesAndItsRetryAfterIsPassedOn() {
        Simulator tiny = servers.account(SimulatorOptions.defaults().withApiKey("backend-key").withTokensPerMinute(1000), clock);
        proxy = servers.proxy().backend("openai1", tiny, 1).clock(clock).start();
        assertThat(proxy.chat("chat").statusCode()).isEqualTo(200);

        HttpResponse<String> refused = proxy.chat("chat");

        assertThat(refused.statusCode()).isEqualTo(429);
        // The 10 s request window opened with the first request; no time has passed on either clock since.
        assertThat(refused.headers().firstValue("retry-after-ms")).hasValue("10000");
        assertThat(tiny.traffic().calls()).isEqualTo(2);
        assertThat(proxy.chat("chat").statusCode()).as("blocked now: answered without a call").isEqualTo(429);
        assertThat(tiny.traffic().calls()).isEqualTo(2);
    }

    @Test
    void realQuotaExhaustionSpillsOverToTheNextAccountWithTheRandomPolicy() {
        Simulator small = servers.account(SimulatorOptions.defaults().withApiKey("backend-key").withTokensPerMinute(2000), clock);
        Simulator large = servers.account();
        proxy = servers.proxy().backend("openai1", small, 1).backend("openai2", large, 2).env("SPILLWAY_POLICY", "random").clock(clock).start();

        // 2000 TPM gives 2 requests per 10 s window: the third request is refused and spills over.
        for (int i = 0; i < 4; i++) {
            assertThat(proxy.chat("chat").statusCode()).isEqualTo(200);
        }
        assertThat(small.traffic().answered429()).isEqualTo(1);
        assertThat(large.traffic().calls()).isEqualTo(2);
    }
}
