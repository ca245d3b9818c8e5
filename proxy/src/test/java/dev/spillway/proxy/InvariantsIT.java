package dev.spillway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

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
            // Warm up under the same load, then take the baseline: thread pools and connection pools have grown to size.
            run(http, request, 20_000, flaky);
            Thread.sleep(500);
            long filesBefore = proxy.openFiles();
            long threadsBefore = proxy.threads();
            steady.traffic().reset();
            flaky.traffic().reset();

            Outcome outcome = run(http, request, REQUESTS, flaky);
            Thread.sleep(2_000);

            System.out.printf("%d requests: %d upstream calls, %d upstream 500s; open files %d -> %d; threads %d -> %d%n",
                    REQUESTS, steady.traffic().calls() + flaky.traffic().calls(), flaky.traffic().answeredWith(500),
                    filesBefore, proxy.openFiles(), threadsBefore, proxy.threads());
            assertThat(outcome.responses.sum()).as("one response per request").isEqualTo(REQUESTS);
            assertThat(outcome.ok.sum()).isEqualTo(REQUESTS);
            long upstream = steady.traffic().calls() + flaky.traffic().calls();
            long failures = flaky.traffic().answeredWith(500);
            assertThat(upstream).as("every upstream call beyond one per request follows a failure before any byte reached the client")
                    .isEqualTo(REQUESTS + failures);
            assertThat(failures).isPositive();
            assertThat(proxy.openFiles()).as("open files").isLessThanOrEqualTo(filesBefore + 16);
            // Pools breathe a little (JIT compiler threads, carrier threads); a leak would grow with the request count.
            assertThat(proxy.threads()).as("threads").isLessThanOrEqualTo(threadsBefore + 16);
        }
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
