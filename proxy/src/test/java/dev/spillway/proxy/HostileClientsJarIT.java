package dev.spillway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.ProxyJar;
import dev.spillway.proxy.testing.RawBackend;
import dev.spillway.proxy.testing.RawClient;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10's reproductions, against the packaged jar over raw sockets. */
class HostileClientsJarIT {

    private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}";
    private static final String PATH = "/openai/deployments/chat/chat/completions?api-version=2024-10-21";

    @TempDir
    Path dir;

    private static Map<String, String> env(String backends) {
        return Map.of("SPILLWAY_API_KEYS", RunningProxy.CLIENT_KEY, "SPILLWAY_LOG_LEVEL", "WARN",
                "SPILLWAY_CLIENT_HEADER_TIMEOUT_MS", "500", "SPILLWAY_BACKENDS", backends);
    }

    private static String backend(String name, String url) {
        return "{\"name\":\"" + name + "\",\"url\":\"" + url + "\",\"apiKey\":\"x\"}";
    }

    @Test
    void junkNamesThenFailingAccountsCostOneCallPerBackendAndEscapingPathsReachNone() throws Exception {
        try (Simulator first = Simulator.start(SimulatorOptions.defaults());
             Simulator second = Simulator.start(SimulatorOptions.defaults());
             ProxyJar proxy = ProxyJar.start(env("[" + backend("openai1", first.url()) + "," + backend("openai2", second.url()) + "]"),
                     dir.resolve("proxy.log"))) {
            for (int i = 0; i < 300; i++) {
                RawClient.send(proxy.url(), RawClient.post("/openai/deployments/junk-" + i + "/chat/completions", "HTTP/1.1", CHAT),
                        Duration.ofSeconds(5));
            }
            for (Simulator account : new Simulator[] {first, second}) {
                account.traffic().reset();
                account.faults().failWith(500);
            }

            RawClient.Answer failed = RawClient.send(proxy.url(), RawClient.post(PATH, "HTTP/1.1", CHAT), Duration.ofSeconds(10));
            RawClient.Answer escaping = RawClient.send(proxy.url(),
                    RawClient.post("/openai/deployments/chat/%2E%2E/%2E%2E/%2E%2E/secret", "HTTP/1.1", CHAT), Duration.ofSeconds(5));

            assertThat(failed.statusLine()).startsWith("HTTP/1.1 500");
            assertThat(escaping.statusLine()).startsWith("HTTP/1.1 400");
            assertThat(first.traffic().calls() + second.traffic().calls()).as("upstream calls").isEqualTo(2);
        }
    }

    @Test
    void cutOffStreamLooksBrokenAndTricklingHeadersAreCutOff() throws Exception {
        try (RawBackend dying = new RawBackend(RawBackend.Behaviour.STREAM_THEN_DIE);
             ProxyJar proxy = ProxyJar.start(env("[" + backend("dying", dying.url()) + "]"), dir.resolve("proxy.log"))) {
            RawClient.Answer cut = RawClient.send(proxy.url(),
                    RawClient.post(PATH, "HTTP/1.1", "{\"messages\":[],\"stream\":true}"), Duration.ofSeconds(10));

            assertThat(cut.head()).containsIgnoringCase("Transfer-Encoding: chunked");
            assertThat(cut.body()).contains(RawBackend.FIRST_EVENT).doesNotEndWith("0\r\n\r\n");
            assertThat(trickleUntilClosed(proxy.url())).isLessThan(Duration.ofSeconds(4));
        }
    }

    /** Sends a header byte every 50 ms (never idle) until the proxy closes the connection. */
    private static Duration trickleUntilClosed(String url) throws Exception {
        URI uri = URI.create(url);
        byte[] request = ("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(200) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        long started = System.nanoTime();
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            OutputStream out = socket.getOutputStream();
            for (byte b : request) {
                try {
                    out.write(b);
                    out.flush();
                } catch (IOException closed) {
                    return Duration.ofNanos(System.nanoTime() - started);
                }
                Thread.sleep(50);
            }
        }
        return Duration.ofDays(1);
    }
}
