package dev.spillway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.OpenDescriptors;
import dev.spillway.proxy.testing.ProxyJar;
import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 100,000 requests through the packaged proxy while one backend keeps failing: one response per
 * request, no request repeated upstream except after a failure, and no file descriptors or threads
 * left behind.
 */
class InvariantsIT {

    private static final int REQUESTS = 100_000;
    private static final int CONCURRENCY = 32;

    @TempDir
    Path dir;

    @Test
    void hundredThousandRequestsLeaveNothingBehind() throws Exception {
        SimulatorOptions unlimited = SimulatorOptions.defaults().withTokensPerMinute(1_000_000_000_000L).withCompletionTokens(5);
        try (Simulator steady = Simulator.start(unlimited);
             Simulator flaky = Simulator.start(unlimited);
             ProxyJar proxy = ProxyJar.start(Map.of("SPILLWAY_API_KEYS", "k", "SPILLWAY_LOG_LEVEL", "WARN",
                     "SPILLWAY_FAILURE_COOLDOWN_MS", "0",
                     "SPILLWAY_BACKENDS", "[{\"name\":\"steady\",\"url\":\"" + steady.url() + "\",\"apiKey\":\"x\"},"
                             + "{\"name\":\"flaky\",\"url\":\"" + flaky.url() + "\",\"apiKey\":\"x\"}]"), dir.resolve("proxy.log"))) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create(proxy.url() + "/openai/deployments/chat/chat/completions?api-version=1"))
                    .header("api-key", "k").POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[],\"max_tokens\":5}")).build();
            int proxyPort = URI.create(proxy.url()).getPort();
            int steadyPort = URI.create(steady.url()).getPort();
            int flakyPort = URI.create(flaky.url()).getPort();
            // Warm up under the same load, then take the baseline: thread pools and connection pools have grown to size.
            run(http, request, 20_000, flaky);
            OpenDescriptors before = settled(proxy);
            long threadsBefore = proxy.threads();
            steady.traffic().reset();
            flaky.traffic().reset();

            Outcome outcome = run(http, request, REQUESTS, flaky);
            OpenDescriptors after = settled(proxy);

            System.out.printf("%d requests: %d upstream calls, %d upstream 500s; other descriptors %d -> %d; sockets %d -> %d"
                            + " (from clients %d, to steady %d, to flaky %d); threads %d -> %d%n",
                    REQUESTS, steady.traffic().calls() + flaky.traffic().calls(), flaky.traffic().answeredWith(500),
                    before.others(), after.others(), before.sockets().size(), after.sockets().size(),
                    after.acceptedOn(proxyPort), after.connectedTo(steadyPort), after.connectedTo(flakyPort),
                    threadsBefore, proxy.threads());
            assertThat(outcome.responses.sum()).as("one response per request").isEqualTo(REQUESTS);
            assertThat(outcome.ok.sum()).isEqualTo(REQUESTS);
            long upstream = steady.traffic().calls() + flaky.traffic().calls();
            long failures = flaky.traffic().answeredWith(500);
            assertThat(upstream).as("every upstream call beyond one per request follows a failure before any byte reached the client")
                    .isEqualTo(REQUESTS + failures);
            assertThat(failures).isPositive();
            SoftAssertions leaks = new SoftAssertions();
            // Jars, the log, pipes and selectors are opened once (a few may open lazily); a leak grows with the requests.
            leaks.assertThat(after.others()).as("descriptors other than TCP sockets").isLessThanOrEqualTo(before.others() + 4);
            // A socket the peer has closed but the proxy has not is a connection the proxy forgot.
            leaks.assertThat(after.inState("CLOSE_WAIT")).as("sockets the proxy never closed").isEmpty();
            // Connection pools hold what the peak demand needed and no more. A client worker or a request in
            // flight uses one connection at a time; the one it just finished with may still be on its way back
            // to the pool when its next request asks for one, so a pool can hold up to two per worker (measured:
            // exactly one). A connection kept per failed attempt would be tens of thousands.
            leaks.assertThat(after.acceptedOn(proxyPort)).as("client connections").isLessThanOrEqualTo(2 * CONCURRENCY + 1);
            leaks.assertThat(after.connectedTo(steadyPort)).as("connections to steady").isLessThanOrEqualTo(2 * CONCURRENCY);
            leaks.assertThat(after.connectedTo(flakyPort)).as("connections to flaky").isLessThanOrEqualTo(2 * CONCURRENCY);
            leaks.assertAll();
            // Pools breathe a little (JIT compiler threads, carrier threads); a leak would grow with the request count.
            assertThat(proxy.threads()).as("threads").isLessThanOrEqualTo(threadsBefore + 16);
        }
    }

    /**
     * The proxy's descriptors once the last responses have been written: connections the backends
     * or clients closed as the run ended take a moment to be closed on the proxy's side too.
     */
    private static OpenDescriptors settled(ProxyJar proxy) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        OpenDescriptors now = OpenDescriptors.of(proxy.process().pid());
        while (!now.inState("CLOSE_WAIT").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            now = OpenDescriptors.of(proxy.process().pid());
        }
        return now;
    }

    private record Outcome(LongAdder responses, LongAdder ok) {}

    /** Sends {@code count} requests; every 1000th flips the flaky backend between healthy and failing. */
    private static Outcome run(HttpClient http, HttpRequest request, int count, Simulator flaky) throws InterruptedException {
        LongAdder responses = new LongAdder();
        LongAdder ok = new LongAdder();
        AtomicLong next = new AtomicLong();
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int w = 0; w < CONCURRENCY; w++) {
                workers.submit(() -> {
                    for (long i; (i = next.getAndIncrement()) < count; ) {
                        if (i % 1000 == 0) {
                            if ((i / 1000) % 2 == 0) {
                                flaky.faults().failWith(500);
                            } else {
                                flaky.faults().clear();
                            }
                        }
                        try {
                            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                            responses.increment();
                            if (response.statusCode() == 200) {
                                ok.increment();
                            }
                        } catch (Exception e) {
                            // counted by its absence from responses
                        }
                    }
                    return null;
                });
            }
        }
        flaky.faults().clear();
        return new Outcome(responses, ok);
    }
}
