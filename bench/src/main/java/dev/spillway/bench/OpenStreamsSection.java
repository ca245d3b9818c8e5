package dev.spillway.bench;

import static dev.spillway.bench.Report.mb;
import static dev.spillway.bench.Report.times;
import static dev.spillway.bench.Report.verdict;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * 10,000 streams open at once through one proxy process: what they cost in memory, and that none
 * fails. Streams last a minute so that all of them are open together even though opening them
 * takes a few seconds; the load generator counts how many were open at the same moment.
 */
final class OpenStreamsSection implements Section {

    /** Spillway's JVM options in the many-streams sections: a bounded heap, as a container's memory limit would give. */
    static final List<String> STREAM_JVM = List.of("-Xms64m", "-Xmx320m", "-XX:+UseSerialGC");

    private static final int STREAMS = 10_000;
    // Three accounts, as deployed; also keeps each backend under the proxy's per-backend cap (SPILLWAY_MAX_REQUESTS_PER_BACKEND).
    private static final int ACCOUNTS = 3;
    private static final long RSS_TARGET = 512_000_000L;

    @Override
    public void run(BenchRun bench) throws Exception {
        int wanted = bench.count(STREAMS);
        // A proxy process holds two descriptors per stream: past the open-file limit no proxy could carry them.
        int streams = Math.min(wanted, OpenFileLimit.streamsPerProcess());
        int tokens = bench.quick() ? 20 : 120;
        // Shorter than a stream: each client opens one stream, and the run waits for all of them to end.
        StreamBench.Load load = new StreamBench.Load(streams, bench.seconds(20, 5));
        StreamBench bencher = new StreamBench(bench, LoadSpec.chatBody(null, 100, tokens, true));
        List<StreamBench.Result> results = new ArrayList<>();
        // The accounts run in a process of their own, so that this JVM holds only the load generator's descriptors.
        try (AccountsProcess accounts = AccountsProcess.start(ACCOUNTS, Duration.ofMillis(500), tokens, bench.logs().resolve("open-streams-accounts.log"))) {
            for (Peer peer : Peer.values()) {
                StreamBench.Result result = bencher.through(peer, "open-streams", accounts.urls(), Map.of(), STREAM_JVM, null, load);
                System.err.print(result.load().summary());
                results.add(result);
            }
        }
        StreamBench.Result nginx = results.get(0);
        StreamBench.Result spillway = results.get(1);
        Report report = bench.report();
        report.heading("Open streams: " + streams + " streams open at once through one proxy process"
                + (bench.quick() ? " (quick mode: " + STREAMS + " / " + BenchRun.QUICK_DIVISOR + ")" : ""));
        if (streams < wanted) {
            report.paragraph("**" + streams + " streams, not " + wanted + "**: this machine's open-file limit is " + OpenFileLimit.hard()
                    + " descriptors per process (hard; raising it takes CAP_SYS_RESOURCE) and each stream holds two in the proxy, "
                    + "so " + wanted + " cannot pass through one process here, whatever the proxy. Run where `ulimit -Hn` is higher "
                    + "(for example `docker run --ulimit nofile=100000`) to measure " + wanted + ".");
        }
        report.paragraph("Each stream lasts " + tokens / 2 + " s (a token every 500 ms); the Java load generator opens " + streams
                + " over a ramp of up to 5 s, each client one stream, through each proxy (started fresh, no warm-up) to " + ACCOUNTS
                + " simulated accounts (in a process of their own). *Most open at once*: streams that had their first byte and had not yet ended, counted by the "
                + "load generator. Peak RSS is sampled from /proc every 200 ms (nginx: master and workers summed). Spillway JVM "
                + "options: `" + String.join(" ", STREAM_JVM) + "`, proxy limits at their defaults.");
        report.tableHeader("path", "streams", "most open at once", "RSS idle", "peak RSS", "completed", "failed", "peak RSS vs nginx");
        for (StreamBench.Result result : results) {
            report.row(result.path(), result.load().sent(), result.load().peakOpenStreams(), mb(result.idleRssBytes()), mb(result.peakRssBytes()),
                    result.load().ok(), result.load().failed(),
                    result == nginx ? "" : times((double) result.peakRssBytes() / nginx.peakRssBytes()));
        }
        report.line("");
        // Against the count this mode asks for (10,000, or a tenth in quick mode), even when the descriptor limit allowed fewer.
        boolean allOpen = spillway.load().peakOpenStreams() >= wanted;
        report.paragraph("Target: " + wanted + " streams open at once in Spillway (" + spillway.load().peakOpenStreams() + ": "
                + verdict(allOpen) + (streams < wanted ? ", only " + streams + " could be offered" : "") + "), under 512 MB RSS ("
                + mb(spillway.peakRssBytes()) + ": " + verdict(spillway.peakRssBytes() < RSS_TARGET) + "), none failing ("
                + spillway.load().failed() + " failed: " + verdict(spillway.load().failed() == 0) + ").");
    }
}
