package dev.spillway.bench;

import static dev.spillway.bench.Report.format;
import static dev.spillway.bench.Report.mb;
import static dev.spillway.bench.Report.ms;
import static dev.spillway.bench.Report.times;
import static dev.spillway.bench.Report.verdict;

import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** S4: 2,000 concurrent slow streams (100 chunks at 50 ms): first byte under many open streams, and what they cost in memory. */
final class SlowStreamsSection implements Section {

    private static final int STREAMS = 2_000;
    private static final int ACCOUNTS = 3;
    private static final long RSS_TARGET = 300_000_000L;

    @Override
    public void run(BenchRun bench) throws Exception {
        SimulatorOptions options = SimulatorOptions.defaults().withTokensPerMinute(BenchRun.UNLIMITED_TPM)
                .withTokenLatency(Duration.ofMillis(50)).withCompletionTokens(100);
        int streams = bench.count(STREAMS);
        StreamBench.Load warmUp = new StreamBench.Load(Math.min(200, streams), bench.seconds(10, 2));
        StreamBench.Load measured = new StreamBench.Load(streams, bench.seconds(30, 8));
        StreamBench bencher = new StreamBench(bench, LoadSpec.chatBody(null, 100, 100, true));
        List<Simulator> accounts = BenchRun.startAccounts(ACCOUNTS, options);
        List<StreamBench.Result> results = new ArrayList<>();
        try {
            for (Peer peer : Peer.values()) {
                results.add(bencher.through(peer, "slow-streams", BenchRun.urls(accounts), Map.of(), OpenStreamsSection.STREAM_JVM, warmUp, measured));
            }
        } finally {
            accounts.forEach(Simulator::close);
        }
        StreamBench.Result nginx = results.get(0);
        StreamBench.Result spillway = results.get(1);
        Report report = bench.report();
        report.heading("S4. Slow streams: " + streams + " concurrent streams of 100 chunks at 50 ms"
                + (bench.quick() ? " (quick mode: " + STREAMS + " / " + BenchRun.QUICK_DIVISOR + ")" : ""));
        report.paragraph("Each stream lasts about 5 s; the Java load generator keeps " + streams + " open (closed loop, clients arriving "
                + "over a ramp) for " + measured.duration().toSeconds() + " s through each proxy, started fresh and warmed up with "
                + warmUp.duration().toSeconds() + " s of " + warmUp.streams() + " streams, to " + ACCOUNTS + " simulated accounts. "
                + "Peak RSS is sampled from /proc every 200 ms over the proxy's life (nginx: master and workers summed). "
                + "Spillway JVM options: `" + String.join(" ", OpenStreamsSection.STREAM_JVM) + "`.");
        report.tableHeader("path", "streams completed", "most open at once", "first byte p50", "first byte p99", "RSS idle", "peak RSS",
                "CPU per stream", "errors", "first byte p99 vs nginx", "peak RSS vs nginx");
        for (StreamBench.Result result : results) {
            LoadResult load = result.load();
            boolean isPeer = result == nginx;
            report.row(result.path(), load.ok(), load.peakOpenStreams(), ms(load.timeToFirstByteMillis(50)), ms(load.timeToFirstByteMillis(99)),
                    mb(result.idleRssBytes()), mb(result.peakRssBytes()), format("%.2f ms", result.cpuMillisPerStream()), load.failed(),
                    isPeer ? "" : times(load.timeToFirstByteMillis(99) / nginx.load().timeToFirstByteMillis(99)),
                    isPeer ? "" : times((double) result.peakRssBytes() / nginx.peakRssBytes()));
        }
        report.line("");
        double p99 = spillway.load().timeToFirstByteMillis(99) / nginx.load().timeToFirstByteMillis(99);
        report.line("Targets:");
        report.line(format("- Spillway's first-byte p99 at most 2x nginx's: %s, %s", times(p99), verdict(p99 <= 2)));
        report.line(format("- Spillway's RSS at most 300 MB: %s peak, %s", mb(spillway.peakRssBytes()), verdict(spillway.peakRssBytes() <= RSS_TARGET)));
        report.line("- no errors: " + verdict(nginx.load().failed() == 0 && spillway.load().failed() == 0));
        report.line("");
    }
}
