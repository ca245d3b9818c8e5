package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.ManualClock;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.proxy.testing.ScriptedBackend;
import dev.spillway.simulator.Simulator;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Passive health, as seen from requests that overlap. */
class OutlierDetectionTest {

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private ScriptedBackend scripted;

    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-27T10:00:00Z"));

    private static String answeredBy(HttpResponse<String> response) {
        assertThat(response.statusCode()).isEqualTo(200);
        return response.headers().firstValue("x-spillway-backend").orElseThrow();
    }

    @Test
    void failingBackendCoolsDownForTheConfiguredTimeAndIsUsedAgainAfterwards() {
        Simulator preferred = servers.account();
        Simulator spare = servers.account();
        preferred.faults().failWith(500);
        RunningProxy proxy = servers.proxy().backend("preferred", preferred, 1).backend("spare", spare, 2)
                .env("SPILLWAY_FAILURE_COOLDOWN_MS", "3000").clock(clock).start();

        assertThat(answeredBy(proxy.chat("chat"))).isEqualTo("spare");
        preferred.faults().clear();
        clock.advance(Duration.ofMillis(2_999));
        assertThat(answeredBy(proxy.chat("chat"))).as("2,999 ms into a 3,000 ms cool-down").isEqualTo("spare");
        assertThat(preferred.traffic().calls()).isEqualTo(1);

        clock.advance(Duration.ofMillis(1));
        assertThat(answeredBy(proxy.chat("chat"))).as("3,000 ms into a 3,000 ms cool-down").isEqualTo("preferred");
    }

    @Test
    void coolDownLastsFiveSecondsByDefault() {
        Simulator preferred = servers.account();
        Simulator spare = servers.account();
        preferred.faults().failWith(503);
        RunningProxy proxy = servers.proxy().backend("preferred", preferred, 1).backend("spare", spare, 2).clock(clock).start();

        assertThat(answeredBy(proxy.chat("chat"))).isEqualTo("spare");
        preferred.faults().clear();
        clock.advance(Duration.ofMillis(4_999));
        assertThat(answeredBy(proxy.chat("chat"))).as("4,999 ms after the failure").isEqualTo("spare");
        clock.advance(Duration.ofMillis(1));
        assertThat(answeredBy(proxy.chat("chat"))).as("5 s after the failure").isEqualTo("preferred");
    }

    @Test
    void backendThatBreaksAStreamMidwayCoolsDownSoTheNextRequestsGoElsewhere() throws Exception {
        Simulator preferred = servers.account();
        Simulator spare = servers.account();
        preferred.faults().dropStreamAfter(1);
        RunningProxy proxy = servers.proxy().backend("preferred", preferred, 1).backend("spare", spare, 2).clock(clock).start();
        HttpResponse<InputStream> cut = proxy.postStreaming("/openai/deployments/chat/chat/completions?api-version=2024-10-21",
                RunningProxy.chatBody(true));
        assertThat(cut.headers().firstValue("x-spillway-backend")).hasValue("preferred");
        try (InputStream body = cut.body()) {
            assertThatThrownBy(body::readAllBytes).isInstanceOf(IOException.class);
        }
        preferred.faults().clear();

        assertThat(answeredBy(proxy.chat("chat"))).as("within the cool-down").isEqualTo("spare");
        clock.advance(Duration.ofSeconds(5));
        assertThat(answeredBy(proxy.chat("chat"))).as("after the cool-down").isEqualTo("preferred");
    }

    @Test
    void successOfARequestSentBeforeAFailureDoesNotEndTheCoolDownThatFailureStarted() throws Exception {
        CountDownLatch firstArrived = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        scripted = servers.scripted(n -> {
            if (n == 1) {
                firstArrived.countDown();
                releaseFirst.await();
                return ScriptedBackend.Reply.ok();
            }
            return new ScriptedBackend.Reply(500, Map.of(), "{\"error\":{\"code\":\"500\",\"message\":\"down\"}}");
        });
        Simulator spare = servers.account();
        RunningProxy proxy = servers.proxy().backend("flaky", scripted.url(), 1, "k").backend("spare", spare, 2)
                .env("SPILLWAY_FAILURE_COOLDOWN_MS", "60000").start();

        CompletableFuture<HttpResponse<String>> slow = CompletableFuture.supplyAsync(() -> proxy.chat("chat"));
        assertThat(firstArrived.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(proxy.chat("chat").headers().firstValue("x-spillway-backend")).hasValue("spare");
        releaseFirst.countDown();
        assertThat(slow.get(5, TimeUnit.SECONDS).headers().firstValue("x-spillway-backend")).hasValue("flaky");

        HttpResponse<String> next = proxy.chat("chat");

        assertThat(next.headers().firstValue("x-spillway-backend")).hasValue("spare");
        assertThat(scripted.requests()).as("the cooling backend was left alone").isEqualTo(2);
    }
}
