package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.proxy.testing.ScriptedBackend;
import dev.spillway.simulator.Simulator;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Backpressure and abuse: the proxy answers early and plainly instead of queueing without bound. */
class LimitsTest {

    private static final String PATH = "/openai/deployments/chat/chat/completions?api-version=2024-10-21";
    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private RunningProxy proxy;


    private final CountDownLatch firstArrived = new CountDownLatch(1);
    private final CountDownLatch releaseFirst = new CountDownLatch(1);
    private ScriptedBackend holding;

    @AfterEach
    void release() {
        releaseFirst.countDown();
        if (holding != null) {
            holding.close();
        }
    }

    /** A backend that holds its first request until the test lets it go, so that it is in flight for sure. */
    private String holdingBackend() {
        holding = new ScriptedBackend(n -> {
            if (n == 1) {
                firstArrived.countDown();
                releaseFirst.await();
            }
            return ScriptedBackend.Reply.ok();
        });
        return holding.url();
    }

    /** Sends a request and returns once the backend holds it: the proxy counts it in flight. */
    private CompletableFuture<HttpResponse<String>> oneRequestInFlight() throws InterruptedException {
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> proxy.chat("chat"));
        assertThat(firstArrived.await(10, TimeUnit.SECONDS)).as("the first request reached the backend").isTrue();
        return first;
    }

    @Test
    void requestsBeyondTheConcurrencyCapGet503WithRetryAfter() throws Exception {
        proxy = servers.proxy().backend("openai1", holdingBackend(), 1, "k").env("SPILLWAY_MAX_CONCURRENT_REQUESTS", "1").start();
        CompletableFuture<HttpResponse<String>> first = oneRequestInFlight();

        HttpResponse<String> second = proxy.chat("chat");

        assertThat(second.statusCode()).isEqualTo(503);
        assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(second.body()).contains("\"code\":\"overloaded\"").contains("SPILLWAY_MAX_CONCURRENT_REQUESTS");
        releaseFirst.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void backendAtItsCapIsSkippedForAnother() throws Exception {
        Simulator other = servers.account();
        proxy = servers.proxy().backend("busy", holdingBackend(), 1, "k").backend("other", other, 2)
                .env("SPILLWAY_MAX_REQUESTS_PER_BACKEND", "1").start();
        CompletableFuture<HttpResponse<String>> first = oneRequestInFlight();

        HttpResponse<String> second = proxy.chat("chat");

        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue("x-spillway-backend")).hasValue("other");
        releaseFirst.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS).headers().firstValue("x-spillway-backend")).hasValue("busy");
    }

    @Test
    void whenEveryBackendIsAtItsCapTheProxyAnswers503() throws Exception {
        proxy = servers.proxy().backend("only", holdingBackend(), 1, "k").env("SPILLWAY_MAX_REQUESTS_PER_BACKEND", "1").start();
        CompletableFuture<HttpResponse<String>> first = oneRequestInFlight();

        HttpResponse<String> second = proxy.chat("chat");

        assertThat(second.statusCode()).isEqualTo(503);
        assertThat(second.body()).contains("backends_saturated");
        releaseFirst.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void oversizedHeadersGet431() {
        proxy = servers.proxy().backend("openai1", servers.account(), 1).env("SPILLWAY_MAX_HEADER_BYTES", "4096").start();

        HttpResponse<String> response = proxy.post(PATH, RunningProxy.chatBody(false), "X-Padding", "x".repeat(8000));

        assertThat(response.statusCode()).isEqualTo(431);
    }

    @Test
    void slowlorisConnectionIsClosedWithoutReachingABackend() throws Exception {
        Simulator account = servers.account();
        proxy = servers.proxy().backend("openai1", account, 1).env("SPILLWAY_CLIENT_IDLE_TIMEOUT_MS", "500").start();
        URI uri = URI.create(proxy.url());

        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + PATH + " HTTP/1.1\r\nHost: x\r\napi-key: " + RunningProxy.CLIENT_KEY + "\r\nContent-Length: 100\r\n\r\n{\"messages\":")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long started = System.nanoTime();
            InputStream in = socket.getInputStream();
            byte[] answer = in.readAllBytes();

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
            assertThat(new String(answer, StandardCharsets.US_ASCII)).doesNotContain("200 OK");
        }
        assertThat(account.traffic().calls()).isZero();
        assertThat(proxy.chat("chat").statusCode()).isEqualTo(200);
    }

    @Test
    void bodyTricklingInSlowerThanTheDeadlineGets408WithoutReachingABackend() throws Exception {
        Simulator account = servers.account();
        proxy = servers.proxy().backend("openai1", account, 1).env("SPILLWAY_BODY_TIMEOUT_MS", "500").start();
        URI uri = URI.create(proxy.url());

        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + PATH + " HTTP/1.1\r\nHost: x\r\napi-key: " + RunningProxy.CLIENT_KEY + "\r\nContent-Length: 40\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            // A byte every 50 ms: never idle long enough for the idle timeout, but far too slow for the deadline.
            for (int i = 0; i < 40 && socket.getInputStream().available() == 0; i++) {
                try {
                    out.write('x');
                    out.flush();
                } catch (java.io.IOException closedByProxy) {
                    break;
                }
                Thread.sleep(50);
            }
            String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);

            assertThat(answer).isEqualTo("HTTP/1.1 408");
        }
        assertThat(account.traffic().calls()).isZero();
    }

    @Test
    void bodyThatStopsArrivingGets408AndTheConnectionIsClosed() throws Exception {
        Simulator account = servers.account();
        proxy = servers.proxy().backend("openai1", account, 1).env("SPILLWAY_CLIENT_IDLE_TIMEOUT_MS", "500").start();
        URI uri = URI.create(proxy.url());

        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST " + PATH + " HTTP/1.1\r\nHost: x\r\napi-key: " + RunningProxy.CLIENT_KEY
                    + "\r\nContent-Length: 40\r\n\r\n0123456789").getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);

            assertThat(answer).startsWith("HTTP/1.1 408").containsIgnoringCase("connection: close").contains("request_timeout");
        }
        assertThat(account.traffic().calls()).isZero();
    }
}
