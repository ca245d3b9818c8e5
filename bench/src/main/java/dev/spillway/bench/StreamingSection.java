package dev.spillway.bench;

import static dev.spillway.bench.Report.format;
import static dev.spillway.bench.Report.ms;
import static dev.spillway.bench.Report.times;
import static dev.spillway.bench.Report.verdict;

import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** S2: 200 concurrent streams of 20 chunks at 10 ms a token; time to first byte through nginx and through Spillway. */
final class StreamingSection implements Section {

    private static final int STREAMS = 200;
    private static final int ACCOUNTS = 3;

    @Override
    public void run(BenchRun bench) throws Exception {
        SimulatorOptions options = SimulatorOptions.defaults().withTokensPerMinute(BenchRun.UNLIMITED_TPM)
                .withTokenLatency(Duration.ofMillis(10)).withCompletionTokens(20);
        StreamBench.Load warmUp = new StreamBench.Load(STREAMS, bench.seconds(10, 2));
        StreamBench.Load measured = new StreamBench.Load(STREAMS, bench.seconds(20, 5));
        StreamBench streams = new StreamBench(bench, LoadSpec.chatBody(null, 100, 20, true));
        List<Simulator> accounts = BenchRun.startAccounts(ACCOUNTS, options);
        List<StreamBench.Result> results = new ArrayList<>();
        try {
            for (Peer peer : Peer.values()) {
                results.add(streams.through(peer, "streaming", BenchRun.urls(accounts), Map.of(), List.of(), warmUp, measured));
            }
            // Last, when the accounts' code is warm from the runs above.
            results.add(streams.direct(accounts.getFirst(), measured));
        } finally {
            accounts.forEach(Simulator::close);
        }
        StreamBench.Result nginx = results.get(0);
        StreamBench.Result spillway = results.get(1);
        Report report = bench.report();
        report.heading("S2. Streaming: time to first byte, " + STREAMS + " concurrent streams of 20 chunks at 10 ms a token");
        report.paragraph("The Java load generator keeps " + STREAMS + " streams open (closed loop, clients arriving over a ramp) for "
                + measured.duration().toSeconds() + " s through each proxy, started fresh and warmed up with " + warmUp.duration().toSeconds()
                + " s of the same load, to " + ACCOUNTS + " simulated accounts. First byte: from sending the request to the first "
                + "read of the body (the first SSE event). Default proxy JVM options.");
        report.tableHeader("path", "streams/s", "first byte p50", "first byte p99", "whole stream p50", "CPU per stream", "errors",
                "first byte p99 vs nginx");
        for (StreamBench.Result result : results) {
            LoadResult load = result.load();
            report.row(result.path(), format("%.0f", load.requestsPerSecond()), ms(load.timeToFirstByteMillis(50)), ms(load.timeToFirstByteMillis(99)),
                    ms(load.latencyMillis(50)), Double.isNaN(result.cpuSeconds()) ? "-" : format("%.2f ms", result.cpuMillisPerStream()),
                    load.failed(), result == nginx ? "" : times(load.timeToFirstByteMillis(99) / nginx.load().timeToFirstByteMillis(99)));
        }
        report.line("");
        double limit = 1.5 * nginx.load().timeToFirstByteMillis(99) + 5;
        report.paragraph(format("Target: Spillway's first-byte p99 at most 1.5x nginx's + 5 ms (%.2f ms): %s, %s. No errors: %s.",
                limit, ms(spillway.load().timeToFirstByteMillis(99)), verdict(spillway.load().timeToFirstByteMillis(99) <= limit),
                verdict(nginx.load().failed() == 0 && spillway.load().failed() == 0)));
    }
}
