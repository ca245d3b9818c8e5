package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RefusingPort;
import dev.spillway.proxy.testing.ScriptedBackend;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.Simulator;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Backend failures other than 429: fail over at once when nothing has reached the client yet. */
class FailoverTest {

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private RunningProxy proxy;


    @Test
    void serverErrorFailsOverToTheNextBackend() {
        Simulator broken = servers.account();
        Simulator healthy = servers.account();
        broken.faults().failWith(500);
        proxy = servers.proxy().backend("openai1", broken, 1).backend("openai2", healthy, 2).start();

        HttpResponse<String> response = proxy.chat("chat");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-spillway-backend")).hasValue("openai2");
        assertThat(broken.traffic().calls()).isEqualTo(1);
    }

    @Test
    void refusedConnectionFailsOverToTheNextBackend() {
        Simulator down = servers.account();
        Simulator healthy = servers.account();
        down.refuseConnections();
        proxy = servers.proxy().backend("openai1", down, 1).backend("openai2", healthy, 2).start();

        HttpResponse<String> response = proxy.chat("chat");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-spillway-backend")).hasValue("openai2");
    }

    @Test
    void backendSlowToSendHeadersTimesOutAndFailsOver() {
        Simulator slow = servers.account();
        Simulator healthy = servers.account();
        slow.faults().delayFirstByte(Duration.ofSeconds(5));
        proxy = servers.proxy().backend("openai1", slow, 1).backend("openai2", healthy, 2)
                .env("SPILLWAY_HEADERS_TIMEOUT_MS", "300").start();

        long started = System.nanoTime();
        HttpResponse<String> response = proxy.chat("chat");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-spillway-backend")).hasValue("openai2");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void unauthorizedFromABackendFailsOverBecauseTheProxyOwnsBackendCredentials() {
        Simulator misconfigured = servers.account();
        Simulator healthy = servers.account();
        proxy = servers.proxy().backend("openai1", misconfigured.url(), 1, "wrong-backend-key")
                .backend("openai2", healthy, 2).start();

        HttpResponse<String> response = proxy.chat("chat");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-spillway-backend")).hasValue("openai2");
    }

    @Test
    void clientErrorFromABackendIsReturnedAsIsAndNotRetried() {
        Simulator first = servers.account();
        Simulator second = servers.account();
        proxy = servers.proxy().backend("openai1", first, 1).backend("openai2", second, 2).start();

        HttpResponse<String> response = proxy.post("/openai/deployments/chat/chat/completions?api-version=2024-10-21", "[not json");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("not valid JSON");
        assertThat(first.traffic().calls() + second.traffic().calls()).isEqualTo(1);
    }

    @Test
    void unknownDeploymentGets404FromTheBackendWithoutRetries() {
        Simulator first = servers.account();
        Simulator second = servers.account();
        proxy = servers.proxy().backend("openai1", first, 1).backend("openai2", second, 1).start();

        HttpResponse<String> response = proxy.chat("no-such-deployment");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("DeploymentNotFound");
        assertThat(first.traffic().calls() + second.traffic().calls()).isEqualTo(1);
    }

    @Test
    void whenEveryBackendIsUnreachableTheClientGets502NamingNoInternals() {
        try (RefusingPort closed = new RefusingPort()) {
            proxy = servers.proxy().backend("openai1", closed.url(), 1, "k").start();

            HttpResponse<String> response = proxy.chat("chat");

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.body()).contains("\"code\":\"backend_unavailable\"").doesNotContain("127.0.0.1").doesNotContain("Exception");
        }
    }

    @Test
    void whenEveryBackendTimesOutTheClientGets504() {
        Simulator first = servers.account();
        Simulator second = servers.account();
        first.faults().delayFirstByte(Duration.ofSeconds(5));
        second.faults().delayFirstByte(Duration.ofSeconds(5));
        proxy = servers.proxy().backend("openai1", first, 1).backend("openai2", second, 1)
                .env("SPILLWAY_HEADERS_TIMEOUT_MS", "300").start();

        HttpResponse<String> response = proxy.chat("chat");

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).contains("\"code\":\"backend_timeout\"");
        assertThat(first.traffic().calls() + second.traffic().calls()).as("each backend tried once").isEqualTo(2);
    }

    @Test
    void forbiddenFromABackendFailsOverBecauseTheProxyOwnsBackendCredentials() {
        // What Azure answers while the proxy identity's role assignment is still propagating.
        try (ScriptedBackend forbidding = new ScriptedBackend(n -> new ScriptedBackend.Reply(403, Map.of(),
                "{\"error\":{\"code\":\"PermissionDenied\",\"message\":\"The principal lacks the required data action.\"}}"))) {
            Simulator healthy = servers.account();
            proxy = servers.proxy().backend("openai1", forbidding.url(), 1, "k").backend("openai2", healthy, 2).start();

            HttpResponse<String> response = proxy.chat("chat");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-spillway-backend")).hasValue("openai2");
            assertThat(forbidding.requests()).isEqualTo(1);
        }
    }

    @Test
    void whenEveryBackendFailsWithAServerErrorTheLastErrorIsPassedThrough() {
        Simulator first = servers.account();
        Simulator second = servers.account();
        first.faults().failWith(503);
        second.faults().failWith(503);
        proxy = servers.proxy().backend("openai1", first, 1).backend("openai2", second, 1).start();

        HttpResponse<String> response = proxy.chat("chat");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(first.traffic().calls() + second.traffic().calls()).isEqualTo(2);
    }

    @Test
    void eachBackendIsTriedAtMostOncePerRequest() {
        Simulator first = servers.account();
        Simulator second = servers.account();
        Simulator third = servers.account();
        for (Simulator simulator : new Simulator[] {first, second, third}) {
            simulator.faults().failWith(500);
        }
        proxy = servers.proxy().backend("openai1", first, 1).backend("openai2", second, 1)
                .backend("openai3", third, 2).start();

        proxy.chat("chat");

        assertThat(first.traffic().calls()).isEqualTo(1);
        assertThat(second.traffic().calls()).isEqualTo(1);
        assertThat(third.traffic().calls()).isEqualTo(1);
    }

    @Test
    void streamBrokenMidwayCutsTheClientResponseOffAndIsNotRetried() throws IOException {
        Simulator breaking = servers.account();
        Simulator other = servers.account();
        breaking.faults().dropStreamAfter(3);
        proxy = servers.proxy().backend("openai1", breaking, 1).backend("openai2", other, 2).start();

        HttpResponse<InputStream> response = proxy.postStreaming(
                "/openai/deployments/chat/chat/completions?api-version=2024-10-21", RunningProxy.chatBody(true));

        assertThat(response.statusCode()).isEqualTo(200);
        try (InputStream body = response.body()) {
            byte[] start = body.readNBytes(20);
            assertThat(new String(start)).startsWith("data: ");
            assertThatThrownBy(body::readAllBytes).as("a cut-off stream must look broken, never complete").isInstanceOf(IOException.class);
        }
        assertThat(other.traffic().calls()).isZero();
    }
}
