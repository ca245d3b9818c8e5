package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.Simulator;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** /metrics and /backends: behind the same auth as /openai, and telling what happened. */
class StatusEndpointsTest {

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private Simulator throttled;
    private RunningProxy proxy;

    @BeforeEach
    void start() {
        throttled = servers.account();
        Simulator healthy = servers.account();
        throttled.faults().throttleAll(Duration.ofSeconds(30));
        proxy = servers.proxy().backend("openai1", throttled, 1).backend("openai2", healthy, 2).start();
    }

    @Test
    void metricsAndBackendsNeedCredentials() {
        assertThat(proxy.get("/metrics", "X-No-Credential", "1").statusCode()).isEqualTo(401);
        assertThat(proxy.get("/backends", "api-key", "wrong").statusCode()).isEqualTo(401);
    }

    @Test
    void metricsCountRequestsAttemptsAndTokens() {
        proxy.post("/openai/v1/chat/completions", "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}");

        String metrics = proxy.get("/metrics").body();

        assertThat(metrics).contains("spillway_requests_total{deployment=\"chat\",outcome=\"failed_over\",status=\"200\"} 1.0");
        assertThat(metrics).contains("spillway_upstream_requests_total{backend=\"openai1\",deployment=\"chat\",outcome=\"throttled\",status=\"429\"} 1.0");
        assertThat(metrics).contains("spillway_tokens_total{backend=\"openai2\",deployment=\"chat\",type=\"completion\"} 5.0");
        assertThat(metrics).contains("spillway_endpoint_blocked_until_timestamp_seconds{backend=\"openai1\",deployment=\"chat\"}");
        assertThat(metrics).contains("spillway_upstream_time_to_first_byte_seconds_bucket");
        assertThat(metrics).contains("spillway_open_streams 0.0");
    }

    @Test
    void backendsShowsThrottlingAndLastRateLimitHeaders() {
        proxy.chat("chat");

        HttpResponse<String> response = proxy.get("/backends");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body())
                .contains("\"name\":\"openai1\"").contains("\"state\":\"throttled\"").contains("\"blockedUntil\":\"")
                .contains("\"remainingTokens\":").contains("\"served\":1").contains("\"throttled\":1");
    }
}
