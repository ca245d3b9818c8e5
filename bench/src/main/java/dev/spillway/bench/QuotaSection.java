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
 * policy against its random one, with nginx's round robin (which passes every 429 on) beside them.
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
        Duration duration = bench.seconds(120, 20);
        Report report = bench.report();
        report.heading("Quota efficiency: three accounts at 30K TPM each (90K aggregate), " + duration.toSeconds() + " s per run");
        report.paragraph("Accounts behave as Azure's do (`SimulatorOptions.azure()`: sliding windows, refusals counted, 300 ms to the first "
                + "byte and 15 ms a token, headers within ±3%). Requests (" + PROMPT_CHARS + " prompt characters, no max_tokens) are "
                + "charged " + costPerRequest + " tokens each at admission (the 648-token model default), answers use all of it, sent "
                + "open loop at a fixed rate. *Client 429s* are the share of requests the client "
                + "saw refused; *upstream 429s* are the refusals the accounts sent the proxy; *served* is tokens per minute in "
                + "successful answers as a share of the 90K aggregate. nginx is plain round robin (close to `random`), and passes "
                + "each 429 to the client instead of trying another account.");
        report.tableHeader("offered load", "policy", "requests", "client 429s", "upstream 429s", "served TPM", "served share");
        Map<String, Long> upstream429 = new HashMap<>();
        Map<String, Double> served = new HashMap<>();
        Map<String, Double> clientShare = new HashMap<>();
        for (double load : new double[] {0.7, 1.0, 1.3}) {
            for (String policy : new String[] {"quota", "random", "nginx"}) {
                double rate = aggregate * load / costPerRequest / 60;
                List<Simulator> accounts = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    accounts.add(Simulator.start(SimulatorOptions.azure().withTokensPerMinute(TPM).withCompletionTokens(1000).withSeed(i + 1)));
                }
                String scenario = "quota-" + policy + "-" + (int) (load * 100);
                List<String> urls = BenchRun.urls(accounts);
                try (MeasuredProxy proxy = policy.equals("nginx") ? bench.start(Peer.NGINX, scenario, urls)
                        : bench.start(Peer.SPILLWAY, scenario, urls, Map.of("SPILLWAY_POLICY", policy), List.of())) {
                    System.err.printf("quota: %.0f%% offered, %s (%.2f requests/s)%n", load * 100, policy, rate);
                    LoadResult result = bench.load().run(new LoadSpec(URI.create(proxy.url() + BenchRun.CHAT_PATH),
                            LoadSpec.chatBody(null, PROMPT_CHARS, maxTokens, false), Map.of("api-key", ProxyProcess.KEY), false, rate, 0, duration));
                    long refusals = accounts.stream().mapToLong(a -> a.traffic().answered429()).sum();
                    String key = policy + (int) (load * 100);
                    upstream429.put(key, refusals);
                    served.put(key, result.tokensPerMinute() / aggregate);
                    clientShare.put(key, result.throttledShare());
                    report.row(format("%.0f%%", load * 100), policy.equals("nginx") ? "nginx round robin" : policy, result.sent(),
                            format("%.2f%%", result.throttledShare() * 100), refusals, format("%.0f", result.tokensPerMinute()),
                            format("%.1f%%", result.tokensPerMinute() / aggregate * 100));
                } finally {
                    accounts.forEach(Simulator::close);
                }
            }
        }
        report.line("");
        report.paragraph("Targets: at 70% offered load no client-visible 429s (quota: " + verdict(clientShare.get("quota70") == 0) + "); at 130% at least "
                + "95% of the aggregate served (quota: " + verdict(served.get("quota130") >= 0.95) + "); `quota` strictly fewer upstream 429s "
                + "than `random` (" + format("%d against %d, %d against %d, %d against %d: %s",
                upstream429.get("quota70"), upstream429.get("random70"), upstream429.get("quota100"), upstream429.get("random100"),
                upstream429.get("quota130"), upstream429.get("random130"),
                verdict(upstream429.get("quota70") < upstream429.get("random70") || upstream429.get("random70") == 0)
                        + "/" + verdict(upstream429.get("quota100") < upstream429.get("random100"))
                        + "/" + verdict(upstream429.get("quota130") < upstream429.get("random130"))) + ").");
    }
}
