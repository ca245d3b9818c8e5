package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.proxy.testing.ScriptedBackend;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The quota estimate, as overlapping requests leave it. */
class QuotaEstimateTest {

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private ScriptedBackend scripted;

    private static ScriptedBackend.Reply remaining(long tokens) {
        return new ScriptedBackend.Reply(200, Map.of("x-ratelimit-remaining-tokens", Long.toString(tokens),
                "x-ratelimit-remaining-requests", "100"), "{\"choices\":[]}");
    }

    @Test
    void answerToAnEarlierRequestStillCountsWhatWasSentWhileItWasInFlight() throws Exception {
        CountDownLatch arrived = new CountDownLatch(3);
        CountDownLatch releaseOlder = new CountDownLatch(1);
        CountDownLatch releaseNewer = new CountDownLatch(1);
        scripted = servers.scripted(n -> {
            if (n == 1) {
                return remaining(10_000);
            }
            arrived.countDown();
            (n == 2 ? releaseOlder : releaseNewer).await();
            return remaining(n == 2 ? 9_000 : 8_000);
        });
        RunningProxy proxy = servers.proxy().backend("openai1", scripted.url(), 1, "k").start();
        proxy.chat("chat");

        CompletableFuture<HttpResponse<String>> older = CompletableFuture.supplyAsync(() -> proxy.chat("chat"));
        while (scripted.requests() < 2) {
            Thread.onSpinWait();
        }
        List<CompletableFuture<HttpResponse<String>>> newer = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            newer.add(CompletableFuture.supplyAsync(() -> proxy.chat("chat")));
        }
        assertThat(arrived.await(5, TimeUnit.SECONDS)).isTrue();
        releaseOlder.countDown();
        older.get(5, TimeUnit.SECONDS);

        JsonNode chat = new ObjectMapper().readTree(proxy.get("/backends").body()).path("backends").get(0).path("deployments").get(0);
        releaseNewer.countDown();
        for (CompletableFuture<HttpResponse<String>> request : newer) {
            request.get(5, TimeUnit.SECONDS);
        }

        assertThat(chat.path("deployment").asText()).isEqualTo("chat");
        assertThat(chat.path("estimatedHeadroom").path("requests").asLong()).as("the two requests still in flight count").isEqualTo(98);
        assertThat(chat.path("estimatedHeadroom").path("tokens").asLong()).isLessThan(9_000);
    }
}
