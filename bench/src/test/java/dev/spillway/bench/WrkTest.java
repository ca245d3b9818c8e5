package dev.spillway.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class WrkTest {

    private static final String REPORT = """
            Running 20s test @ http://127.0.0.1:40995/openai/deployments/chat/chat/completions?api-version=2024-10-21
              2 threads and 64 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency     1.52ms  812.00us  35.10ms   91.20%
                Req/Sec    21.10k     1.20k   24.00k    70.00%
              Latency Distribution
                 50%  850.00us
                 75%    1.61ms
                 90%    2.40ms
                 99%    1.02s
              840210 requests in 20.01s, 612.34MB read
              Socket errors: connect 0, read 3, write 0, timeout 7
              Non-2xx or 3xx responses: 12
            Requests/sec:  41989.50
            Transfer/sec:     30.60MB
            """;

    @Test
    void readsCountsRateAndPercentilesInAnyUnit() throws Exception {
        WrkResult result = Wrk.parse(REPORT);

        assertThat(result.requests()).isEqualTo(840_210);
        assertThat(result.seconds()).isCloseTo(20.01, within(1e-9));
        assertThat(result.requestsPerSecond()).isCloseTo(41_989.5, within(1e-9));
        assertThat(result.p50Millis()).isCloseTo(0.85, within(1e-9));
        assertThat(result.p99Millis()).isCloseTo(1020, within(1e-9));
    }

    @Test
    void countsNon2xxAnswersAndEverySocketErrorAsErrors() throws Exception {
        WrkResult result = Wrk.parse(REPORT);

        assertThat(result.non2xx()).isEqualTo(12);
        assertThat(result.socketErrors()).isEqualTo(10);
        assertThat(result.errors()).isEqualTo(22);
    }

    @Test
    void aCleanRunHasNoErrorLines() throws Exception {
        String clean = REPORT.lines().filter(line -> !line.contains("errors") && !line.contains("Non-2xx")).reduce("", (a, b) -> a + b + "\n");

        assertThat(Wrk.parse(clean).errors()).isZero();
    }
}
