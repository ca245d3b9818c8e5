package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RawBackend;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.proxy.testing.ScriptedBackend;
import dev.spillway.simulator.Simulator;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A request that creates or changes an object is sent to a second account only when the first
 * attempt cannot have reached the first one; model calls keep their failover after a timeout.
 */
class ReplayPolicyTest {

    private static final String FILES = "/openai/files?api-version=2024-10-21";
    private static final String UPLOAD = "{\"purpose\":\"batch\",\"file\":\"eyJ4IjoxfQ==\"}";
    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private RawBackend raw;
    private Simulator second;

    private RunningProxy proxyWithFirst(String url) {
        second = servers.account();
        return servers.proxy().backend("first", url, 1, "k").backend("second", second, 2)
                .env("SPILLWAY_HEADERS_TIMEOUT_MS", "500").start();
    }

    @Test
    void uploadThatTimedOutAfterBeingSentGets504AndIsNotSentToAnotherAccount() {
        raw = servers.raw(RawBackend.Behaviour.HANG_BEFORE_HEADERS);
        RunningProxy proxy = proxyWithFirst(raw.url());

        HttpResponse<String> response = proxy.post(FILES, UPLOAD);

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).contains("did not send it to another account");
        assertThat(second.traffic().calls()).isZero();
    }

    @Test
    void vectorStoreCreateBrokenOffAfterBeingSentGets502AndIsNotSentToAnotherAccount() {
        raw = servers.raw(RawBackend.Behaviour.RESET_BEFORE_HEADERS);
        RunningProxy proxy = proxyWithFirst(raw.url());

        HttpResponse<String> response = proxy.post("/openai/v1/vector_stores", "{\"name\":\"docs\"}");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(second.traffic().calls()).isZero();
    }

    @Test
    void assistantCreateThatGot500IsAnsweredWithThatErrorAndNotSentToAnotherAccount() {
        try (ScriptedBackend failing = new ScriptedBackend(n -> new ScriptedBackend.Reply(500, java.util.Map.of(),
                "{\"error\":{\"code\":\"500\",\"message\":\"failed while creating\"}}"))) {
            second = servers.account();
            RunningProxy proxy = servers.proxy().backend("first", failing.url(), 1, "k").backend("second", second, 2).start();

            HttpResponse<String> response = proxy.post("/openai/assistants?api-version=2024-05-01-preview",
                    "{\"model\":\"chat\",\"name\":\"helper\"}");

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.body()).contains("failed while creating");
            assertThat(second.traffic().calls()).isZero();
        }
    }

    @Test
    void uploadWhoseConnectionWasRefusedIsSentToTheNextAccount() {
        raw = servers.raw(RawBackend.Behaviour.HANG_BEFORE_HEADERS);
        String refusing = raw.url();
        raw.close();
        RunningProxy proxy = proxyWithFirst(refusing);

        proxy.post(FILES, UPLOAD);

        assertThat(second.traffic().calls()).isEqualTo(1);
    }

    @Test
    void modelCallThatTimedOutAfterBeingSentIsStillSentToTheNextAccount() {
        raw = servers.raw(RawBackend.Behaviour.HANG_BEFORE_HEADERS);
        RunningProxy proxy = proxyWithFirst(raw.url());

        HttpResponse<String> response = proxy.send(proxy.request("/openai/deployments/chat/chat/completions?api-version=2024-10-21")
                .POST(HttpRequest.BodyPublishers.ofString(RunningProxy.chatBody(false))).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-spillway-backend")).hasValue("second");
    }
}
