package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.LogCapture;
import dev.spillway.proxy.testing.RawBackend;
import dev.spillway.proxy.testing.RefusingPort;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.Simulator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Backends that fail in every way a network lets them, each behind a healthy one: what the client
 * gets, what the metrics and logs say, and that the next request is served.
 */
class FaultInjectionTest {

    private static final String PATH = "/openai/deployments/chat/chat/completions?api-version=2024-10-21";
    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private final LogCapture logs = new LogCapture();
    private Simulator healthy;
    private RawBackend raw;
    private RunningProxy proxy;

    @BeforeEach
    void startHealthyBackend() {
        healthy = servers.account();
    }

    @AfterEach
    void stop() {
        logs.close();
    }

    private RunningProxy proxyWithBrokenFirst(String brokenUrl) {
        return servers.proxy().backend("broken", brokenUrl, 1, "k").backend("healthy", healthy, 2)
                .env("SPILLWAY_HEADERS_TIMEOUT_MS", "500").env("SPILLWAY_CONNECT_TIMEOUT_MS", "1000").start();
    }

    private void assertFailedOverAndStillServing(HttpResponse<String> response, String logged) {
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-spillway-backend")).hasValue("healthy");
        assertThat(proxy.get("/metrics").body())
                .contains("spillway_upstream_requests_total{backend=\"broken\",deployment=\"chat\",outcome=\"failed\"");
        assertThat(logs.text()).contains("Backend broken failed (" + logged);
        HttpResponse<String> next = proxy.chat("chat");
        assertThat(next.statusCode()).isEqualTo(200);
    }

    @Test
    void backendRefusingConnectionsFailsOver() throws Exception {
        try (RefusingPort refusing = new RefusingPort()) {
            proxy = proxyWithBrokenFirst(refusing.url());

            assertFailedOverAndStillServing(proxy.chat("chat"), "connect: ConnectException");
        }
    }

    @Test
    void backendResettingBeforeHeadersFailsOver() {
        raw = servers.raw(RawBackend.Behaviour.RESET_BEFORE_HEADERS);
        proxy = proxyWithBrokenFirst(raw.url());

        assertFailedOverAndStillServing(proxy.chat("chat"), "transport");
    }

    @Test
    void backendHangingBeforeHeadersTimesOutAndFailsOver() {
        raw = servers.raw(RawBackend.Behaviour.HANG_BEFORE_HEADERS);
        proxy = proxyWithBrokenFirst(raw.url());

        long started = System.nanoTime();
        HttpResponse<String> response = proxy.chat("chat");

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
        assertFailedOverAndStillServing(response, "no response headers within 500 ms");
    }

    @Test
    void backendSpeakingGarbageFailsOver() {
        raw = servers.raw(RawBackend.Behaviour.MALFORMED);
        proxy = proxyWithBrokenFirst(raw.url());

        assertFailedOverAndStillServing(proxy.chat("chat"), "transport");
    }

    @Test
    void unresolvableHostFailsOver() {
        proxy = proxyWithBrokenFirst("http://no-such-openai-account.invalid");

        assertFailedOverAndStillServing(proxy.chat("chat"), "connect");
    }

    @Test
    void backendSendingHeadersThenNothingIsCutOffWithoutRetry() throws IOException {
        raw = servers.raw(RawBackend.Behaviour.HEADERS_THEN_HANG);
        proxy = proxyWithBrokenFirst(raw.url());

        HttpResponse<InputStream> response = proxy.postStreaming(PATH, RunningProxy.chatBody(true));

        assertThat(response.statusCode()).isEqualTo(200);
        try (InputStream body = response.body()) {
            assertThatThrownBy(body::readAllBytes).isInstanceOf(IOException.class);
        }
        assertThat(healthy.traffic().calls()).isZero();
        assertThat(logs.text()).contains("Response from backend broken broke after 0 bytes");
        assertThat(proxy.chat("chat").statusCode()).isEqualTo(200);
    }

    @Test
    void hugeResponseReachesTheClientBeforeTheBackendHasSentItAll() throws IOException {
        raw = servers.raw(RawBackend.Behaviour.HUGE_BODY);
        proxy = servers.proxy().backend("huge", raw.url(), 1, "k").start();

        HttpResponse<InputStream> response = proxy.postStreaming(PATH, RunningProxy.chatBody(false));
        long received;
        try (InputStream body = response.body()) {
            // The backend sends the rest only once the client has the first megabyte: a proxy that buffered
            // the body would wait for an end that never comes, and the backend resets after 10 s.
            byte[] first = body.readNBytes(RawBackend.HUGE_BODY_FIRST_PART);
            assertThat(first).as("the first megabyte, before the backend sent the rest").hasSize(RawBackend.HUGE_BODY_FIRST_PART);
            raw.letTheRestFollow();
            received = first.length + body.transferTo(OutputStream.nullOutputStream());
        }

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Length")).hasValue(Long.toString(RawBackend.HUGE_BODY_BYTES));
        assertThat(received).isEqualTo(RawBackend.HUGE_BODY_BYTES);
        HttpResponse<InputStream> next = proxy.postStreaming(PATH, RunningProxy.chatBody(false));
        try (InputStream body = next.body()) {
            assertThat(body.transferTo(OutputStream.nullOutputStream())).isEqualTo(RawBackend.HUGE_BODY_BYTES);
        }
    }

    @Test
    void interimResponsesFromABackendArePassedOverAndItsFinalAnswerRelayed() {
        raw = servers.raw(RawBackend.Behaviour.INTERIM_THEN_OK);
        proxy = servers.proxy().backend("interim", raw.url(), 1, "k").env("SPILLWAY_HEADERS_TIMEOUT_MS", "5000").start();

        HttpResponse<String> response = proxy.chat("chat");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{}");
        assertThat(proxy.get("/metrics").body()).contains("spillway_in_flight_requests 0.0");
    }

    @Test
    void clientThatStopsReadingHoldsItsBackendBackInsteadOfFillingTheProxy() throws Exception {
        raw = servers.raw(RawBackend.Behaviour.HUGE_BODY);
        raw.letTheRestFollow();
        proxy = servers.proxy().backend("huge", raw.url(), 1, "k").start();

        try (java.net.Socket client = new java.net.Socket()) {
            // A small window, and nothing read after the head: only back-pressure from this socket stops the copy.
            client.setReceiveBufferSize(64 * 1024);
            client.connect(new java.net.InetSocketAddress("127.0.0.1", java.net.URI.create(proxy.url()).getPort()));
            String body = RunningProxy.chatBody(false);
            client.getOutputStream().write(("POST " + PATH + " HTTP/1.1\r\nHost: proxy\r\napi-key: " + RunningProxy.CLIENT_KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            client.getInputStream().readNBytes(1024);
            Thread.sleep(2000);

            // Socket buffers on both sides of the proxy hold a few megabytes; a proxy that read on regardless would hold all 64.
            assertThat(raw.bodyBytesWritten()).isLessThan(RawBackend.HUGE_BODY_BYTES / 4);
        }
    }

    @Test
    void clientLeavingMidStreamClosesTheUpstreamStreamAtOnce() throws Exception {
        Simulator slow = servers.account(dev.spillway.simulator.SimulatorOptions.defaults().withApiKey("backend-key")
                .withTokenLatency(Duration.ofMillis(200)).withCompletionTokens(100));
        proxy = servers.proxy().backend("slow", slow, 1).start();

        HttpResponse<InputStream> response = proxy.postStreaming(PATH, RunningProxy.chatBody(true));
        try (InputStream body = response.body()) {
            body.readNBytes(100);
        }

        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (slow.traffic().streamsAbandoned() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(slow.traffic().streamsAbandoned()).as("the backend saw its stream closed").isEqualTo(1);
        assertThat(slow.traffic().streamsOpen()).isZero();
        assertThat(logs.text()).contains("Client disconnected");
    }

    @Test
    void throttledAnswerWhoseBodyStallsDoesNotHoldTheFailover() {
        raw = servers.raw(RawBackend.Behaviour.THROTTLE_THEN_STALL);
        proxy = servers.proxy().backend("stalling", raw.url(), 1, "k").backend("healthy", healthy, 2)
                .env("SPILLWAY_HEADERS_TIMEOUT_MS", "10000").start();

        long started = System.nanoTime();
        HttpResponse<String> response = proxy.chat("chat");

        assertThat(response.headers().firstValue("x-spillway-backend")).hasValue("healthy");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
    }
}
