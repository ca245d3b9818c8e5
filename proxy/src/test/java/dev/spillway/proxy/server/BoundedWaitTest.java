package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.ReceivedRequest;
import dev.spillway.simulator.Simulator;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * When no account has room, a request is held for the earliest free one instead of refused, within
 * SPILLWAY_MAX_WAIT_MS (5 s here; off by default), in arrival order per deployment; on the real
 * clock, since a wait is real time.
 */
class BoundedWaitTest {

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();

    /** Lets the account recover a while after it first answered 429, well before the block it asked for ends. */
    static void clearAfterFirst429(Simulator account, long millis) {
        Thread.ofVirtual().start(() -> {
            try {
                while (account.traffic().answered429() == 0) {
                    Thread.sleep(5);
                }
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            account.faults().clear();
        });
    }

    @Test
    void aRequestArrivingWhenEveryAccountIsBrieflyThrottledIsHeldAndServedWhenOneIsFree() {
        Simulator first = servers.account();
        Simulator second = servers.account();
        first.faults().throttleAll(Duration.ofMillis(800));
        second.faults().throttleAll(Duration.ofMillis(800));
        clearAfterFirst429(first, 200);
        clearAfterFirst429(second, 200);
        RunningProxy proxy = servers.proxy().env("SPILLWAY_MAX_WAIT_MS", "5000").backend("openai1", first, 1).backend("openai2", second, 1).start();

        long start = System.nanoTime();
        HttpResponse<String> response = proxy.chat("chat");
        long tookMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(tookMillis).as("held until the 800 ms block ended, not answered 429").isBetween(750L, 3_000L);
        assertThat(first.traffic().calls() + second.traffic().calls()).as("two 429s, then the one that served").isEqualTo(3);
        assertThat(proxy.get("/metrics").body()).contains("spillway_queue_wait_seconds_count{outcome=\"released\"} 1");
    }

    @Test
    void aBlockLongerThanTheLongestWaitIsAnswered429AtOnce() {
        Simulator only = servers.account();
        only.faults().throttleAll(Duration.ofSeconds(30));
        RunningProxy proxy = servers.proxy().env("SPILLWAY_MAX_WAIT_MS", "5000").backend("openai1", only, 1).start();

        long start = System.nanoTime();
        HttpResponse<String> response = proxy.chat("chat");

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1_000);
        assertThat(Long.parseLong(response.headers().firstValue("retry-after-ms").orElseThrow())).isBetween(29_000L, 30_000L);
    }

    @Test
    void withWaitingTurnedOffABriefBlockIsAnswered429AtOnce() {
        Simulator only = servers.account();
        only.faults().throttleAll(Duration.ofMillis(800));
        RunningProxy proxy = servers.proxy().env("SPILLWAY_MAX_WAIT_MS", "5000").backend("openai1", only, 1).env("SPILLWAY_MAX_WAIT_MS", "0").start();

        HttpResponse<String> response = proxy.chat("chat");

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(Long.parseLong(response.headers().firstValue("retry-after-ms").orElseThrow())).isBetween(700L, 800L);
    }

    @Test
    void heldRequestsGoToTheAccountInTheOrderTheyArrived() throws Exception {
        Simulator only = servers.account();
        only.faults().throttleAll(Duration.ofMillis(1_000));
        clearAfterFirst429(only, 200);
        // One at a time, so the order they reach the account is the order they were let go in.
        RunningProxy proxy = servers.proxy().env("SPILLWAY_MAX_WAIT_MS", "5000").backend("openai1", only, 1).env("SPILLWAY_MAX_REQUESTS_PER_BACKEND", "1").start();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();

        for (int i = 0; i < 6; i++) {
            String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"order-" + i + "\"}],\"max_tokens\":5}";
            answers.add(CompletableFuture.supplyAsync(() -> proxy.post("/openai/deployments/chat/chat/completions?api-version=2024-10-21", body)));
            Thread.sleep(40);
        }

        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            assertThat(answer.get().statusCode()).isEqualTo(200);
        }
        List<String> served = new ArrayList<>();
        for (ReceivedRequest request : only.traffic().recent()) {
            String body = new String(request.body(), StandardCharsets.UTF_8);
            int at = body.indexOf("order-");
            if (at >= 0 && !served.contains(body.substring(at, at + 7))) {
                served.add(body.substring(at, at + 7));
            }
        }
        assertThat(served).as("the first reached the account (and was throttled) before the others were held")
                .containsExactly("order-0", "order-1", "order-2", "order-3", "order-4", "order-5");
        assertThat(only.traffic().calls()).as("the held ones waited for the block instead of each provoking a 429").isEqualTo(7);
    }

    @Test
    void aHeldRequestThatNeverFindsRoomIsAnswered429WhenItsWaitRunsOut() {
        Simulator only = servers.account();
        // Every answer is a 200 ms block, for good: each release finds the account throttled again.
        only.faults().throttleAll(Duration.ofMillis(200));
        RunningProxy proxy = servers.proxy().env("SPILLWAY_MAX_WAIT_MS", "5000").backend("openai1", only, 1).env("SPILLWAY_MAX_WAIT_MS", "1500").start();

        long start = System.nanoTime();
        HttpResponse<String> response = proxy.chat("chat");
        long tookMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
        assertThat(tookMillis).isLessThan(2_500);
        assertThat(only.traffic().calls()).as("at most one call per round").isLessThanOrEqualTo(FailoverLoop.MAX_ROUNDS + 1);
    }

    @Test
    void whenTheQueueIsFullANewcomerIsAnswered429AtOnce() throws Exception {
        Simulator only = servers.account();
        only.faults().throttleAll(Duration.ofMillis(2_000));
        clearAfterFirst429(only, 1_000);
        RunningProxy proxy = servers.proxy().env("SPILLWAY_MAX_WAIT_MS", "5000").backend("openai1", only, 1).env("SPILLWAY_MAX_QUEUED_PER_DEPLOYMENT", "1").start();
        CompletableFuture<HttpResponse<String>> held = CompletableFuture.supplyAsync(() -> proxy.chat("chat"));
        Thread.sleep(300);

        long start = System.nanoTime();
        HttpResponse<String> refused = proxy.chat("chat");

        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1_000);
        assertThat(held.get().statusCode()).isEqualTo(200);
    }
}
