package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RawClient;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.Simulator;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Connections held open on purpose: headers that never finish, and more connections than the proxy takes. */
class ClientConnectionLimitsTest {

    private static final String PATH = "/openai/deployments/chat/chat/completions?api-version=2024-10-21";
    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();

    @Test
    void headersTricklingInForLongerThanTheHeaderDeadlineAreCutOffThoughNeverIdle() throws Exception {
        Simulator account = servers.account();
        RunningProxy proxy = servers.proxy().backend("openai1", account, 1)
                .env("SPILLWAY_CLIENT_IDLE_TIMEOUT_MS", "30000").env("SPILLWAY_CLIENT_HEADER_TIMEOUT_MS", "600").start();
        URI uri = URI.create(proxy.url());
        byte[] request = ("POST " + PATH + " HTTP/1.1\r\nHost: x\r\napi-key: " + RunningProxy.CLIENT_KEY + "\r\nX-Slow: "
                + "a".repeat(200) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

        long started = System.nanoTime();
        boolean cutOff = false;
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            OutputStream out = socket.getOutputStream();
            // A byte every 50 ms: far inside the idle timeout, and 10 s for the whole header.
            for (int i = 0; i < request.length && !cutOff; i++) {
                try {
                    out.write(request[i]);
                    out.flush();
                    Thread.sleep(50);
                } catch (IOException closedByProxy) {
                    cutOff = true;
                }
            }
        }

        assertThat(cutOff).as("the proxy closed the connection").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
        assertThat(account.traffic().calls()).isZero();
    }

    @Test
    void connectionsBeyondTheCapWaitUntilAnOpenOneCloses() throws Exception {
        Simulator account = servers.account();
        RunningProxy proxy = servers.proxy().backend("openai1", account, 1).env("SPILLWAY_MAX_CONNECTIONS", "2").start();
        URI uri = URI.create(proxy.url());
        Socket first = new Socket(uri.getHost(), uri.getPort());
        Socket second = new Socket(uri.getHost(), uri.getPort());
        try {
            // Both are accepted and held: a request on each proves it.
            for (Socket held : new Socket[] {first, second}) {
                held.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                held.setSoTimeout(5_000);
                assertThat(new String(held.getInputStream().readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
            }

            CompletableFuture<RawClient.Answer> third = CompletableFuture.supplyAsync(() -> RawClient.send(proxy.url(),
                    "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", Duration.ofSeconds(10)));
            assertThat(third).as("the third connection is not served while two are open")
                    .failsWithin(Duration.ofMillis(800)).withThrowableOfType(java.util.concurrent.TimeoutException.class);

            first.close();

            assertThat(third.get(5, TimeUnit.SECONDS).statusLine()).isEqualTo("HTTP/1.1 200 OK");
        } finally {
            first.close();
            second.close();
        }
    }
}
