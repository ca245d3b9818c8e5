package dev.spillway.bench;

import static dev.spillway.bench.Report.format;
import static dev.spillway.bench.Report.verdict;

import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Three accounts at 30K TPM; offered 70%, 100%, 130% of the aggregate; Spillway's quota-aware
 * policy with and without the bounded wait, its random one (the reference sample's algorithm, no
 * wait), and nginx's round robin (which passes every 429 on) beside them.
 */
final class QuotaSection implements Section {

    private static final long TPM = 30_000;
    private static final int PROMPT_CHARS = 400;

    @Override
    public void run(BenchRun bench) throws Exception {
        // Requests leave max_tokens out, as many chat apps do: the accounts charge their model default
        // at admission, which the proxy has to learn from their headers rather than compute.
        int maxTokens = 0;
        long costPerRequest = PROMPT_CHARS / 4 + 3 + 3 + SimulatorOptions.GPT4O_CLASS_DEFAULT_MAX_TOKENS;
        double aggregate = 3 * TPM;
        Duration duration = bench.seconds(70, 20);
        Report report = bench.report();
        report.heading("Quota efficiency: three accounts at 30K TPM each (90K aggregate), " + duration.toSeconds() + " s per run");
        report.paragraph("Accounts behave as Azure's do (`SimulatorOptions.azure()`: sliding windows, refusals counted, 300 ms to the first "
                + "byte and 15 ms a token, headers within ±3%). Requests (" + PROMPT_CHARS + " prompt characters, no max_tokens) are "
                + "charged " + costPerRequest + " tokens each at admission (the 648-token model default), answers use all of it, sent "
                + "open loop at a fixed rate. *Client 429s* are the share of requests the client "
                + "saw refused; *upstream 429s* are the refusals the accounts sent the proxy; *served* is the quota that successful "
                + "requests were charged (" + costPerRequest + " tokens each) per minute of the run, as a share of the 90K aggregate "
                + "(a run lasts a little longer than one window, so a full share is about 100%). nginx is plain round robin (close to `random`), and passes "
                + "each 429 to the client instead of trying another account. `quota+wait` runs with SPILLWAY_MAX_WAIT_MS=5000 (waiting is off by default): "
                + "a request no account has room for is held for the earliest free one; `quota` and `random` run with "
                + "SPILLWAY_MAX_WAIT_MS=0. *Other errors* are client-visible answers other than 200 and 429. Latency is the "
                + "client's, whole answer (the accounts take about 15 s for 1,000 tokens); *held* is the proxy's own histogram "
                + "of time requests waited (p50/p99, bucket upper bounds; only `quota+wait` holds any).");
        report.tableHeader("offered load", "policy", "requests", "client 429s", "other errors", "upstream 429s", "served TPM",
                "served share", "latency p50 / p99 ms", "held p50 / p99 ms", "held requests");
        Map<String, Long> upstream429 = new HashMap<>();
        Map<String, Double> served = new HashMap<>();
        Map<String, Double> clientShare = new HashMap<>();
        Map<String, Double> otherErrors = new HashMap<>();
        Map<String, Double> p99 = new HashMap<>();
        for (double load : new double[] {0.7, 1.0, 1.3}) {
            for (String policy : new String[] {"quota+wait", "quota", "random", "nginx"}) {
                double rate = aggregate * load / costPerRequest / 60;
                List<Simulator> accounts = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    accounts.add(Simulator.start(SimulatorOptions.azure().withTokensPerMinute(TPM).withCompletionTokens(1000).withSeed(i + 1)));
                }
                String scenario = "quota-" + policy + "-" + (int) (load * 100);
                List<String> urls = BenchRun.urls(accounts);
                Map<String, String> env = policy.equals("quota+wait") ? Map.of("SPILLWAY_POLICY", "quota", "SPILLWAY_MAX_WAIT_MS", "5000")
                        : Map.of("SPILLWAY_POLICY", policy, "SPILLWAY_MAX_WAIT_MS", "0");
                try (MeasuredProxy proxy = policy.equals("nginx") ? bench.start(Peer.NGINX, scenario.replace("+", "-"), urls)
                        : bench.start(Peer.SPILLWAY, scenario.replace("+", "-"), urls, env, List.of())) {
                    System.err.printf("quota: %.0f%% offered, %s (%.2f requests/s)%n", load * 100, policy, rate);
                    LoadResult result = bench.load().run(new LoadSpec(URI.create(proxy.url() + BenchRun.CHAT_PATH),
                            LoadSpec.chatBody(null, PROMPT_CHARS, maxTokens, false), Map.of("api-key", ProxyProcess.KEY), false, rate, 0, duration));
                    long refusals = accounts.stream().mapToLong(a -> a.traffic().answered429()).sum();
                    String key = policy + (int) (load * 100);
                    upstream429.put(key, refusals);
                    double servedTpm = result.ok() * costPerRequest / (duration.toMillis() / 60_000.0);
                    served.put(key, servedTpm / aggregate);
                    clientShare.put(key, result.throttledShare());
                    double others = result.sent() == 0 ? 0 : (double) (result.otherStatus() + result.transportErrors()) / result.sent();
                    otherErrors.put(key, others);
                    p99.put(key, result.latencyMillis(99));
                    String held = "-";
                    String heldCount = "-";
                    if (proxy instanceof ProxyProcess spillway) {
                        List<double[]> buckets = waitBuckets(spillway.metrics());
                        double count = buckets.isEmpty() ? 0 : buckets.getLast()[1];
                        heldCount = format("%.0f", count);
                        held = count == 0 ? "-" : format("%.0f / %.0f", quantile(buckets, 0.5) * 1000, quantile(buckets, 0.99) * 1000);
                    }
                    report.row(format("%.0f%%", load * 100), policy.equals("nginx") ? "nginx round robin" : policy, result.sent(),
                            format("%.2f%%", result.throttledShare() * 100), format("%.2f%%", others * 100), refusals,
                            format("%.0f", servedTpm), format("%.1f%%", servedTpm / aggregate * 100),
                            format("%.0f / %.0f", result.latencyMillis(50), result.latencyMillis(99)), held, heldCount);
                } finally {
                    accounts.forEach(Simulator::close);
                }
            }
        }
        report.line("");
        String w = "quota+wait";
        report.paragraph("Targets (quota+wait): at 100% offered at least 99% of the aggregate served and client errors at most 1% ("
                + format("%.1f%%, %.2f%%: %s", served.get(w + 100) * 100, (clientShare.get(w + 100) + otherErrors.get(w + 100)) * 100,
                        verdict(served.get(w + 100) >= 0.99 && clientShare.get(w + 100) + otherErrors.get(w + 100) <= 0.01))
                + "); at 130% at least 99% served, the excess answered 429 and no other error, upstream 429s at most half of "
                + "`random`'s (" + format("%.1f%%, %.2f%% other, %d against %d: %s", served.get(w + 130) * 100, otherErrors.get(w + 130) * 100,
                        upstream429.get(w + 130), upstream429.get("random130"), verdict(served.get(w + 130) >= 0.99
                                && otherErrors.get(w + 130) == 0 && upstream429.get(w + 130) * 2 <= upstream429.get("random130")))
                + "); at 70% no client-visible error and added latency p99 under 50 ms against nginx's in the same run ("
                + format("%.2f%% errors, p99 %.0f ms against %.0f: %s", (clientShare.get(w + 70) + otherErrors.get(w + 70)) * 100,
                        p99.get(w + 70), p99.get("nginx70"), verdict(clientShare.get(w + 70) + otherErrors.get(w + 70) == 0
                                && p99.get(w + 70) - p99.get("nginx70") < 50)) + ").");
    }

    /** The held-time histogram's cumulative buckets, all outcomes summed: {upper bound in seconds, count}, by bound. */
    static List<double[]> waitBuckets(String metrics) {
        java.util.TreeMap<Double, Double> cumulative = new java.util.TreeMap<>();
        for (String line : metrics.split("\n")) {
            if (!line.startsWith("spillway_queue_wait_seconds_bucket{")) {
                continue;
            }
            int le = line.indexOf("le=\"");
            String bound = line.substring(le + 4, line.indexOf('"', le + 4));
            double upper = bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound);
            cumulative.merge(upper, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
        }
        List<double[]> buckets = new ArrayList<>();
        cumulative.forEach((upper, count) -> buckets.add(new double[] {upper, count}));
        return buckets;
    }

    /** The smallest bucket bound that holds this share of the samples. */
    static double quantile(List<double[]> buckets, double share) {
        double total = buckets.getLast()[1];
        for (double[] bucket : buckets) {
            if (bucket[1] >= share * total) {
                return bucket[0];
            }
        }
        return Double.POSITIVE_INFINITY;
    }
}
