package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.FakeEntraTenant;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.ReceivedRequest;
import dev.spillway.simulator.Simulator;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Date;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A chat app's managed-identity token gets in; nobody else does; the token never reaches a backend. */
class EntraAuthThroughProxyTest {

    private static final String PATH = "/openai/deployments/chat/chat/completions?api-version=2024-10-21";
    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private final FakeEntraTenant tenant = new FakeEntraTenant();
    private Simulator account;
    private RunningProxy proxy;

    @BeforeEach
    void start() {
        account = servers.account();
        proxy = servers.proxy().backend("openai1", account, 1)
                .env("SPILLWAY_ENTRA_TENANT_ID", tenant.tenantId())
                .env("SPILLWAY_ENTRA_AUTHORITY", tenant.authority())
                .start();
    }

    @AfterEach
    void stop() {
        tenant.close();
    }

    @Test
    void managedIdentityTokenIsAcceptedAndNotForwarded() {
        String token = tenant.token();

        HttpResponse<String> response = proxy.post(PATH, RunningProxy.chatBody(false), "Authorization", "Bearer " + token);

        assertThat(response.statusCode()).isEqualTo(200);
        ReceivedRequest received = account.traffic().recent().get(0);
        assertThat(received.headers().toString()).doesNotContain(token);
        assertThat(received.header("api-key")).isEqualTo("backend-key");
    }

    @Test
    void expiredTokenGets401WithAChallengeAndAReason() {
        String token = tenant.token(c -> c.expirationTime(Date.from(Instant.now().minusSeconds(600))));

        HttpResponse<String> response = proxy.post(PATH, RunningProxy.chatBody(false), "Authorization", "Bearer " + token);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(response.body()).contains("expired").doesNotContain(token);
        assertThat(account.traffic().calls()).isZero();
    }

    @Test
    void apiKeysStillWorkBesideEntraTokens() {
        HttpResponse<String> response = proxy.post(PATH, RunningProxy.chatBody(false), "api-key", RunningProxy.CLIENT_KEY);

        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void wrongKeyAsBearerGetsTheKeyMessage() {
        HttpResponse<String> response = proxy.post(PATH, RunningProxy.chatBody(false), "Authorization", "Bearer not-a-key");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).contains("invalid_api_key");
    }
}
