package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.Simulator;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the proxy says to requests it will not forward, and to its own endpoints. */
class InboundRequestTest {

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private Simulator account;
    private RunningProxy proxy;

    @BeforeEach
    void start() {
        account = servers.account();
        proxy = servers.proxy().backend("openai1", account, 1)
                .env("SPILLWAY_API_KEYS", "old-key, " + RunningProxy.CLIENT_KEY)
                .env("SPILLWAY_MAX_BODY_BYTES", "1000").start();
    }

    @Test
    void requestWithoutCredentialsGets401AndIsNotForwarded() {
        HttpResponse<String> response = proxy.post("/openai/deployments/chat/chat/completions", "{}", "X-No-Credential", "1");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(response.body()).contains("\"error\"").contains("requires authentication");
        assertThat(account.traffic().calls()).isZero();
    }

    @Test
    void wrongKeyGets401WithoutEchoingTheKey() {
        HttpResponse<String> response = proxy.post("/openai/deployments/chat/chat/completions", "{}", "api-key", "guess-123");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).contains("invalid_api_key").doesNotContain("guess-123");
        assertThat(account.traffic().calls()).isZero();
    }

    @Test
    void keyIsAcceptedAsABearerToken() {
        HttpResponse<String> response = proxy.post("/openai/deployments/chat/chat/completions?api-version=2024-10-21",
                RunningProxy.chatBody(false), "Authorization", "Bearer " + RunningProxy.CLIENT_KEY);

        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void everyConfiguredKeyIsAcceptedSoKeysCanBeRotated() {
        HttpResponse<String> response = proxy.post("/openai/deployments/chat/chat/completions?api-version=2024-10-21",
                RunningProxy.chatBody(false), "api-key", "old-key");

        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void bodyOverTheLimitGets413AndIsNotForwarded() {
        HttpResponse<String> response = proxy.post("/openai/deployments/chat/chat/completions", "{\"input\":\"" + "x".repeat(2000) + "\"}");

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.body()).contains("request_too_large").contains("SPILLWAY_MAX_BODY_BYTES");
        assertThat(account.traffic().calls()).isZero();
    }

    @Test
    void chunkedBodyOverTheLimitGets413() {
        HttpRequest request = proxy.request("/openai/deployments/chat/chat/completions")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(new byte[5000])))
                .build();

        HttpResponse<String> response = proxy.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(account.traffic().calls()).isZero();
    }

    @Test
    void v1CallWithoutAModelGets400() {
        HttpResponse<String> response = proxy.post("/openai/v1/chat/completions", "{\"messages\":[]}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("missing_model").contains("\\\"model\\\"");
        assertThat(account.traffic().calls()).isZero();
    }

    @Test
    void v1CallWithBrokenJsonGets400() {
        HttpResponse<String> response = proxy.post("/openai/v1/chat/completions", "{\"model\": ");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("invalid_json");
    }

    @Test
    void unknownPathGets404AsJson() {
        HttpResponse<String> response = proxy.get("/v1/chat/completions");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        assertThat(response.body()).contains("\"code\":\"not_found\"").contains("/openai/");
    }

    @Test
    void healthAndReadinessNeedNoCredentials() {
        assertThat(proxy.get("/healthz", "X-No-Credential", "1").statusCode()).isEqualTo(200);
        assertThat(proxy.get("/readyz", "X-No-Credential", "1").statusCode()).isEqualTo(200);
    }
}
