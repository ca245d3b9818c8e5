package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.Simulator;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** However many deployment names clients make up, one request costs at most one call per backend. */
class BoundedRetryTest {

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();

    @Test
    void afterManyJunkDeploymentNamesARequestStillCallsEachBackendAtMostOnce() {
        List<Simulator> accounts = List.of(servers.account(), servers.account(), servers.account());
        RunningProxy proxy = servers.proxy().backend("openai1", accounts.get(0), 1).backend("openai2", accounts.get(1), 1)
                .backend("openai3", accounts.get(2), 2).start();
        for (int i = 0; i < 300; i++) {
            assertThat(proxy.chat("junk-" + i).statusCode()).isEqualTo(404);
        }
        accounts.forEach(account -> {
            account.traffic().reset();
            account.faults().failWith(500);
        });

        long started = System.nanoTime();
        HttpResponse<String> response = proxy.send(proxy.request("/openai/deployments/chat/chat/completions?api-version=2024-10-21")
                .timeout(Duration.ofSeconds(10)).POST(java.net.http.HttpRequest.BodyPublishers.ofString(RunningProxy.chatBody(false))).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(accounts.stream().mapToLong(a -> a.traffic().calls()).sum()).as("upstream calls for one request").isEqualTo(3);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void junkDeploymentNamesDoNotCrowdOutTheThrottleStateOfARealOne() throws Exception {
        Simulator first = servers.account();
        Simulator second = servers.account();
        RunningProxy proxy = servers.proxy().backend("openai1", first, 1).backend("openai2", second, 2).start();
        for (int i = 0; i < 300; i++) {
            proxy.chat("junk-" + i);
        }
        first.faults().throttleAll(Duration.ofSeconds(60));
        assertThat(proxy.chat("chat").headers().firstValue("x-spillway-backend")).hasValue("openai2");
        first.traffic().reset();

        for (int i = 0; i < 5; i++) {
            assertThat(proxy.chat("chat").headers().firstValue("x-spillway-backend")).hasValue("openai2");
        }

        assertThat(first.traffic().calls()).as("a blocked account is left alone").isZero();
    }
}
