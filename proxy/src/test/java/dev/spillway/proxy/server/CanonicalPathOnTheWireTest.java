package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RawClient;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.Simulator;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Paths written by hand on a raw socket (HTTP libraries would normalise them): anything that could
 * resolve outside {@code /openai/}, or mean another deployment to the backend than to the proxy,
 * is refused with 400 before any backend is called, and what is forwarded is the canonical path.
 */
class CanonicalPathOnTheWireTest {

    private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}";
    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();

    @ParameterizedTest
    @ValueSource(strings = {
        "/openai/../secret",
        "/openai/%2e%2e/secret",
        "/openai/deployments/chat/%2E%2E/%2E%2E/%2E%2E/secret",
        "/openai/deployments/chat/%2e%2E/x",
        "/openai/deployments/chat/./chat/completions",
        "/openai/deployments/chat/../chat/chat/completions",
        "/openai/deployments/..%2Fsecret/chat/completions",
        "/openai/deployments/a%2fb/chat/completions",
        "/openai/deployments/chat%5C..%5Csecret/chat/completions",
        "/openai/deployments/chat\\..\\secret/chat/completions",
        "/openai/deployments/%252e%252e/secret",
        "/openai//deployments/chat/chat/completions",
        "/openai/deployments/chat/chat/completions/",
        "/openai/deployments/chat;v=1/chat/completions",
        "/openai/deployments/chat/chat/completions;jsessionid=1",
        "/openai/deployments/chat%00/chat/completions",
        "/openai/deployments/chat%zz/chat/completions",
        "/openai/deployments/%c0%ae%c0%ae/secret"
    })
    void pathThatIsNotCanonicalGets400AndReachesNoBackend(String path) {
        Simulator account = servers.account();
        RunningProxy proxy = servers.proxy().backend("openai1", account, 1).start();

        RawClient.Answer answer = RawClient.send(proxy.url(),
                RawClient.post(path + "?api-version=2024-10-21", "HTTP/1.1", CHAT), Duration.ofSeconds(5));

        assertThat(answer.statusLine()).startsWith("HTTP/1.1 400");
        assertThat(answer.head()).containsIgnoringCase("Content-Type: application/json");
        // Jetty refuses some of these itself (an undecodable path), in the proxy's JSON shape too.
        assertThat(answer.body()).containsAnyOf("\"code\":\"invalid_path\"", "\"code\":\"bad_request\"").contains("canonical path");
        assertThat(account.traffic().calls()).as("calls that reached the account").isZero();
    }

    @Test
    void refusedPathNeedsNoCredentialToBeRefused() {
        Simulator account = servers.account();
        RunningProxy proxy = servers.proxy().backend("openai1", account, 1).start();

        RawClient.Answer answer = RawClient.send(proxy.url(),
                "GET /openai/%2e%2e/secret HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n", Duration.ofSeconds(5));

        assertThat(answer.statusLine()).startsWith("HTTP/1.1 400");
        assertThat(account.traffic().calls()).isZero();
    }

    @Test
    void needlesslyEncodedPathIsForwardedInCanonicalFormAndRoutedByTheDecodedName() {
        Simulator account = servers.account();
        RunningProxy proxy = servers.proxy().backend("openai1", account, 1).start();

        RawClient.Answer answer = RawClient.send(proxy.url(),
                RawClient.post("/openai/deployments/ch%61t/chat/completions?api-version=2024-10-21", "HTTP/1.1", CHAT), Duration.ofSeconds(5));

        assertThat(answer.statusLine()).startsWith("HTTP/1.1 200");
        assertThat(account.traffic().recent()).singleElement()
                .satisfies(received -> assertThat(received.path()).isEqualTo("/openai/deployments/chat/chat/completions"));
        assertThat(proxy.get("/metrics").body()).contains("deployment=\"chat\"");
    }
}
