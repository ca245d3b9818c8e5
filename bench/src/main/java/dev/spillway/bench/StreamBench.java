package dev.spillway.bench;

import dev.spillway.simulator.Simulator;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Streams through one freshly started proxy with the Java load generator (which times the first
 * byte of each stream): an optional warm-up, then a measured run, with the proxy's CPU over the
 * measured run and its RSS sampled from /proc over its whole life.
 */
final class StreamBench {

    /** Closed loop: {@code streams} kept open, each replaced when it ends, for {@code duration}. */
    record Load(int streams, Duration duration) {}

    /**
     * @param cpuSeconds   the proxy's CPU over the measured run; NaN when no proxy was in the path
     * @param idleRssBytes RSS when it was ready, before any load
     * @param peakRssBytes the most it held, warm-up included
     */
    record Result(String path, LoadResult load, double cpuSeconds, long idleRssBytes, long peakRssBytes) {

        double cpuMillisPerStream() {
            return load.ok() == 0 ? Double.NaN : cpuSeconds * 1000 / load.ok();
        }
    }

    private final BenchRun bench;
    private final String body;

    /** @param body the chat request every stream sends */
    StreamBench(BenchRun bench, String body) {
        this.bench = bench;
        this.body = body;
    }

    /**
     * @param accounts the accounts' base URLs
     * @param warmUp   null for none
     */
    Result through(Peer peer, String scenario, List<String> accounts, Map<String, String> spillwayEnv, List<String> spillwayJvm,
                   Load warmUp, Load measured) throws Exception {
        try (MeasuredProxy proxy = bench.start(peer, scenario, accounts, spillwayEnv, spillwayJvm);
             PeakRssSampler rss = new PeakRssSampler(proxy.process())) {
            long idle = proxy.process().usage().rssBytes();
            URI target = URI.create(proxy.url() + BenchRun.CHAT_PATH);
            if (warmUp != null) {
                System.err.println(scenario + ": " + proxy.name() + " warm-up, " + warmUp.streams() + " streams");
                bench.load().run(spec(target, warmUp));
            }
            System.err.println(scenario + ": " + proxy.name() + ", " + measured.streams() + " streams");
            ProcessUsage before = proxy.process().usage();
            LoadResult result = bench.load().run(spec(target, measured));
            double cpu = proxy.process().usage().cpuSecondsSince(before);
            return new Result(proxy.name(), result, cpu, idle, rss.peakBytes());
        }
    }

    /** The same load straight to one account: the floor under both proxies. */
    Result direct(Simulator account, Load measured) throws InterruptedException {
        System.err.println("directly to one account, " + measured.streams() + " streams");
        LoadResult result = bench.load().run(spec(URI.create(account.url() + BenchRun.CHAT_PATH), measured));
        return new Result("directly to one account", result, Double.NaN, 0, 0);
    }

    private LoadSpec spec(URI target, Load load) {
        return new LoadSpec(target, body, Map.of("api-key", ProxyProcess.KEY), true, 0, load.streams(), load.duration());
    }
}
