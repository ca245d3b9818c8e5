package dev.spillway.bench;

import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code scripts/bench}: one run on this machine of every benchmark in the quota-routing issue,
 * printing a table and writing {@code docs/BENCHMARKS.md}. Simulated accounts and the load run in
 * this JVM; the proxy runs as its own process ({@code java -jar}) so that its memory is its own.
 */
public final class BenchMain {

    private static final String CHAT_PATH = "/openai/deployments/chat/chat/completions?api-version=2024-10-21";
    private static final long UNLIMITED_TPM = 1_000_000_000_000L;

    private final Path jar;
    private final Path logs;
    private final boolean quick;
    private final LoadGenerator load = new LoadGenerator(System.err);
    private final List<String> report = new ArrayList<>();

    private BenchMain(Path jar, Path logs, boolean quick) {
        this.jar = jar;
        this.logs = logs;
        this.quick = quick;
    }

    public static void main(String[] args) throws Exception {
        Set<String> only = new LinkedHashSet<>(List.of("overhead", "streaming", "streams", "quota", "soak"));
        boolean quick = false;
        Path jar = Path.of("proxy/target/spillway-proxy.jar");
        Path output = Path.of("docs/BENCHMARKS.md");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--only" -> only = new LinkedHashSet<>(List.of(args[++i].split(",")));
                case "--jar" -> jar = Path.of(args[++i]);
                case "--output" -> output = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: scripts/bench [--quick] [--only overhead,streaming,streams,quota,soak] [--output docs/BENCHMARKS.md]");
                    System.exit(2);
                }
            }
        }
        Path logs = Files.createTempDirectory("spillway-bench");
        BenchMain bench = new BenchMain(jar, logs, quick);
        bench.header(String.join(" ", args));
        if (only.contains("overhead")) {
            bench.overhead();
        }
        if (only.contains("streaming")) {
            bench.streaming();
        }
        if (only.contains("streams")) {
            bench.openStreams();
        }
        if (only.contains("quota")) {
            bench.quotaEfficiency();
        }
        if (only.contains("soak")) {
            bench.soak();
        }
        String text = String.join("\n", bench.report) + "\n";
        System.out.println();
        System.out.println(text);
        if (!quick) {
            Files.createDirectories(output.toAbsolutePath().getParent());
            Files.writeString(output, text);
            System.out.println("Written to " + output + " (proxy logs in " + logs + ")");
        }
    }

    private Duration seconds(int full, int short_) {
        return Duration.ofSeconds(quick ? short_ : full);
    }

    private void header(String args) throws IOException {
        report.add("# Benchmarks");
        report.add("");
        report.add("Produced by `scripts/bench" + (args.isBlank() ? "" : " " + args) + "` on " + LocalDate.now() + ": one run, one machine ("
                + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.version") + "). The load generator and the simulated accounts share this JVM; the proxy "
                + "is `java -jar proxy/target/spillway-proxy.jar` in its own process, with its attempt log at INFO (written to a file). "
                + "All three compete for the same cores, so absolute numbers are conservative.");
        report.add("");
    }

    /** (1) Requests/s and latency through the proxy against directly to one account, 64 connections. */
    private void overhead() throws Exception {
        SimulatorOptions options = SimulatorOptions.defaults().withTokensPerMinute(UNLIMITED_TPM);
        try (Simulator account = Simulator.start(options);
             ProxyProcess proxy = ProxyProcess.start(jar, Map.of("SPILLWAY_BACKENDS", backends(account)), logs.resolve("overhead.log"))) {
            String body = LoadSpec.chatBody(null, 100, 20, false);
            LoadSpec direct = new LoadSpec(URI.create(account.url() + CHAT_PATH), body, Map.of(), false, 0, 64, seconds(15, 3));
            LoadSpec proxied = new LoadSpec(URI.create(proxy.url() + CHAT_PATH), body, Map.of("api-key", ProxyProcess.KEY), false, 0, 64, seconds(15, 3));
            System.err.println("overhead: warming up");
            load.run(withDuration(direct, seconds(5, 1)));
            load.run(withDuration(proxied, seconds(5, 1)));
            System.err.println("overhead: direct");
            LoadResult d = load.run(direct);
            System.err.println("overhead: through the proxy");
            LoadResult p = load.run(proxied);
            report.add("## 1. Overhead: non-streaming chat completions, 64 connections, closed loop");
            report.add("");
            report.add("| path | requests/s | p50 | p99 | errors |");
            report.add("|---|---|---|---|---|");
            report.add(row("directly to one simulated account", d));
            report.add(row("through the proxy", p));
            report.add("");
            double ratio = p.requestsPerSecond() / d.requestsPerSecond();
            double p99Overhead = p.latencyMillis(99) - d.latencyMillis(99);
            report.add(String.format(Locale.ROOT, "Proxy throughput is %.0f%% of direct (target: at least 70%%: %s). Added latency: p50 %+.2f ms, "
                            + "p99 %+.2f ms (target: p99 under 2 ms: %s).", ratio * 100, verdict(ratio >= 0.7),
                    p.latencyMillis(50) - d.latencyMillis(50), p99Overhead, verdict(p99Overhead < 2)));
            report.add("");
        }
    }

    /** (2) Time to first byte of a stream through the proxy against directly. */
    private void streaming() throws Exception {
        SimulatorOptions options = SimulatorOptions.defaults().withTokensPerMinute(UNLIMITED_TPM)
                .withTokenLatency(Duration.ofMillis(10)).withCompletionTokens(20);
        try (Simulator account = Simulator.start(options);
             ProxyProcess proxy = ProxyProcess.start(jar, Map.of("SPILLWAY_BACKENDS", backends(account)), logs.resolve("streaming.log"))) {
            String body = LoadSpec.chatBody(null, 100, 20, true);
            LoadSpec direct = new LoadSpec(URI.create(account.url() + CHAT_PATH), body, Map.of(), true, 0, 64, seconds(15, 3));
            LoadSpec proxied = new LoadSpec(URI.create(proxy.url() + CHAT_PATH), body, Map.of("api-key", ProxyProcess.KEY), true, 0, 64, seconds(15, 3));
            load.run(withDuration(proxied, seconds(3, 1)));
            System.err.println("streaming: direct");
            LoadResult d = load.run(direct);
            System.err.println("streaming: through the proxy");
            LoadResult p = load.run(proxied);
            report.add("## 2. Streaming: time to first byte, 64 concurrent streams of 20 tokens at 10 ms per token");
            report.add("");
            report.add("| path | streams/s | first byte p50 | first byte p99 | whole stream p50 | errors |");
            report.add("|---|---|---|---|---|---|");
            report.add(String.format(Locale.ROOT, "| directly | %.0f | %.2f ms | %.2f ms | %.1f ms | %d |", d.requestsPerSecond(),
                    d.timeToFirstByteMillis(50), d.timeToFirstByteMillis(99), d.latencyMillis(50), d.sent() - d.ok()));
            report.add(String.format(Locale.ROOT, "| through the proxy | %.0f | %.2f ms | %.2f ms | %.1f ms | %d |", p.requestsPerSecond(),
                    p.timeToFirstByteMillis(50), p.timeToFirstByteMillis(99), p.latencyMillis(50), p.sent() - p.ok()));
            report.add("");
        }
    }

    /** (3) 5,000 streams open at once through one proxy process: its memory. */
    private void openStreams() throws Exception {
        int streams = quick ? 500 : 5_000;
        SimulatorOptions options = SimulatorOptions.defaults().withTokensPerMinute(UNLIMITED_TPM)
                .withTokenLatency(Duration.ofMillis(500)).withCompletionTokens(quick ? 20 : 120);
        String[] jvm = {"-Xms64m", "-Xmx320m", "-XX:+UseSerialGC"};
        try (Simulator account = Simulator.start(options);
             ProxyProcess proxy = ProxyProcess.start(jar, Map.of("SPILLWAY_BACKENDS", backends(account)), logs.resolve("streams.log"), jvm)) {
            long idleRss = proxy.rssBytes();
            AtomicLong peakStreams = new AtomicLong();
            AtomicLong rssAtPeak = new AtomicLong();
            AtomicLong heapAtPeak = new AtomicLong();
            Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        Thread.sleep(500);
                        long open = (long) proxy.metric("spillway_open_streams");
                        if (open >= peakStreams.get()) {
                            peakStreams.set(open);
                            rssAtPeak.set(proxy.rssBytes());
                            heapAtPeak.set((long) proxy.metric("jvm_memory_used_bytes{area=\"heap\""));
                        }
                    } catch (IOException busy) {
                        // A scrape that fails under load is skipped, not the end of sampling.
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
            });
            // Streams last a minute, so that all of them are open at once even though opening 5,000 connections takes a while.
            LoadSpec spec = new LoadSpec(URI.create(proxy.url() + CHAT_PATH), LoadSpec.chatBody(null, 100, 120, true),
                    Map.of("api-key", ProxyProcess.KEY), true, 0, streams, Duration.ofSeconds(quick ? 5 : 20));
            System.err.println("streams: opening " + streams + " streams");
            LoadResult result = load.run(spec);
            sampler.interrupt();
            System.err.print(result.summary());
            report.add("## 3. Concurrency: " + streams + " streams open at once through one proxy process");
            report.add("");
            report.add("Each stream lasts " + (quick ? "10" : "60") + " s (tokens every 500 ms). Proxy JVM options: `" + String.join(" ", jvm) + "`.");
            report.add("");
            report.add("| streams open at peak | proxy RSS idle | proxy RSS at peak | heap used at peak | streams completed | errors |");
            report.add("|---|---|---|---|---|---|");
            report.add(String.format(Locale.ROOT, "| %d | %.0f MB | %.0f MB | %.0f MB | %d | %d |", peakStreams.get(), idleRss / 1e6,
                    rssAtPeak.get() / 1e6, heapAtPeak.get() / 1e6, result.ok(), result.sent() - result.ok()));
            report.add("");
            report.add(String.format(Locale.ROOT, "Target: %d streams under 512 MB RSS: %s.", streams,
                    verdict(peakStreams.get() >= streams * 0.99 && rssAtPeak.get() < 512e6)));
            report.add("");
        }
    }

    /** (4) Three accounts at 30K TPM; offered 70%, 100%, 130% of the aggregate; quota-aware against random. */
    private void quotaEfficiency() throws Exception {
        long tpm = 30_000;
        int promptChars = 400;
        // Requests leave max_tokens out, as many chat apps do: the accounts charge their model default
        // at admission, which the proxy has to learn from their headers rather than compute.
        int maxTokens = 0;
        long costPerRequest = promptChars / 4 + 3 + 3 + SimulatorOptions.GPT4O_CLASS_DEFAULT_MAX_TOKENS;
        double aggregate = 3 * tpm;
        Duration duration = seconds(120, 20);
        report.add("## 4. Quota efficiency: three accounts at 30K TPM each (90K aggregate), " + duration.toSeconds() + " s per run");
        report.add("");
        report.add("Accounts behave as Azure's do (`SimulatorOptions.azure()`: sliding windows, refusals counted, 300 ms to the first "
                + "byte and 15 ms a token, headers within ±3%). Requests (" + promptChars + " prompt characters, no max_tokens) are "
                + "charged " + costPerRequest + " tokens each at admission (the 648-token model default), answers use all of it, sent "
                + "open loop at a fixed rate. *Client 429s* are the share of requests the client "
                + "saw refused; *upstream 429s* are the refusals the accounts sent the proxy; *served* is tokens per minute in "
                + "successful answers as a share of the 90K aggregate.");
        report.add("");
        report.add("| offered load | policy | requests | client 429s | upstream 429s | served TPM | served share |");
        report.add("|---|---|---|---|---|---|---|");
        Map<String, Long> upstream429 = new java.util.HashMap<>();
        Map<String, Double> served = new java.util.HashMap<>();
        Map<String, Double> clientShare = new java.util.HashMap<>();
        for (double load : new double[] {0.7, 1.0, 1.3}) {
            for (String policy : new String[] {"quota", "random"}) {
                double rate = aggregate * load / costPerRequest / 60;
                List<Simulator> accounts = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    accounts.add(Simulator.start(SimulatorOptions.azure().withTokensPerMinute(tpm).withCompletionTokens(1000).withSeed(i + 1)));
                }
                try (ProxyProcess proxy = ProxyProcess.start(jar, Map.of("SPILLWAY_BACKENDS", backends(accounts.toArray(Simulator[]::new)),
                        "SPILLWAY_POLICY", policy), logs.resolve("quota-" + policy + "-" + (int) (load * 100) + ".log"))) {
                    System.err.printf("quota: %.0f%% offered, policy %s (%.2f requests/s)%n", load * 100, policy, rate);
                    LoadResult result = this.load.run(new LoadSpec(URI.create(proxy.url() + CHAT_PATH),
                            LoadSpec.chatBody(null, promptChars, maxTokens, false), Map.of("api-key", ProxyProcess.KEY), false, rate, 0, duration));
                    long refusals = accounts.stream().mapToLong(a -> a.traffic().answered429()).sum();
                    String key = policy + (int) (load * 100);
                    upstream429.put(key, refusals);
                    served.put(key, result.tokensPerMinute() / aggregate);
                    clientShare.put(key, result.throttledShare());
                    report.add(String.format(Locale.ROOT, "| %.0f%% | %s | %d | %.2f%% | %d | %.0f | %.1f%% |", load * 100, policy, result.sent(),
                            result.throttledShare() * 100, refusals, result.tokensPerMinute(), result.tokensPerMinute() / aggregate * 100));
                } finally {
                    accounts.forEach(Simulator::close);
                }
            }
        }
        report.add("");
        report.add("Targets: at 70% offered load no client-visible 429s (quota: " + verdict(clientShare.get("quota70") == 0) + "); at 130% at least "
                + "95% of the aggregate served (quota: " + verdict(served.get("quota130") >= 0.95) + "); `quota` strictly fewer upstream 429s "
                + "than `random` (" + String.format(Locale.ROOT, "%d against %d, %d against %d, %d against %d: %s",
                upstream429.get("quota70"), upstream429.get("random70"), upstream429.get("quota100"), upstream429.get("random100"),
                upstream429.get("quota130"), upstream429.get("random130"),
                verdict(upstream429.get("quota70") < upstream429.get("random70") || upstream429.get("random70") == 0)
                        + "/" + verdict(upstream429.get("quota100") < upstream429.get("random100"))
                        + "/" + verdict(upstream429.get("quota130") < upstream429.get("random130"))) + ").");
        report.add("");
    }

    /** (5) Steady load for a bounded time while the backends take turns failing: errors, p99, memory at start and end. */
    private void soak() throws Exception {
        Duration duration = seconds(180, 20);
        SimulatorOptions options = SimulatorOptions.defaults().withTokensPerMinute(UNLIMITED_TPM)
                .withTokenLatency(Duration.ofMillis(2)).withCompletionTokens(20);
        Simulator[] accounts = {Simulator.start(options), Simulator.start(options), Simulator.start(options)};
        String[] jvm = {"-Xms64m", "-Xmx256m"};
        try (ProxyProcess proxy = ProxyProcess.start(jar, Map.of("SPILLWAY_BACKENDS", backends(accounts)), logs.resolve("soak.log"), jvm)) {
            long rssStart = proxy.rssBytes();
            List<String> faultLog = new ArrayList<>();
            Thread faults = Thread.ofPlatform().daemon().start(() -> {
                String[] names = {"a 500 from openai2", "429s from openai3", "openai1 refusing connections", "openai2 slow to answer (3 s)"};
                try {
                    for (int step = 0; !Thread.currentThread().isInterrupted(); step++) {
                        Thread.sleep(quick ? 2_000 : 10_000);
                        for (Simulator account : accounts) {
                            account.faults().clear();
                        }
                        accounts[0].acceptConnectionsIfRefused();
                        switch (step % 5) {
                            case 0 -> accounts[1].faults().failWith(500);
                            case 1 -> accounts[2].faults().throttleAll(Duration.ofSeconds(5));
                            case 2 -> accounts[0].refuseConnections();
                            case 3 -> accounts[1].faults().delayFirstByte(Duration.ofSeconds(3));
                            default -> { }
                        }
                        synchronized (faultLog) {
                            faultLog.add(step % 5 < 4 ? names[step % 5] : "no fault");
                        }
                    }
                } catch (InterruptedException stop) {
                    // soak over
                }
            });
            System.err.println("soak: " + duration.toSeconds() + " s of steady load with rotating backend faults");
            LoadResult result = load.run(new LoadSpec(URI.create(proxy.url() + CHAT_PATH), LoadSpec.chatBody(null, 200, 20, false),
                    Map.of("api-key", ProxyProcess.KEY), false, 150, 0, duration));
            faults.interrupt();
            long rssEnd = proxy.rssBytes();
            long upstream429 = 0;
            long upstream500 = 0;
            for (Simulator account : accounts) {
                upstream429 += account.traffic().answered429();
                upstream500 += account.traffic().answeredWith(500);
            }
            System.err.print(result.summary());
            report.add("## 5. Soak: " + duration.toSeconds() + " s at 150 requests/s while the three backends take turns failing");
            report.add("");
            report.add("Every " + (quick ? 2 : 10) + " s one fault replaces the last: openai2 answers 500, openai3 answers 429, openai1 refuses "
                    + "connections, openai2 takes 3 s to answer, then none. Proxy JVM options: `" + String.join(" ", jvm) + "`, default limits.");
            report.add("");
            report.add("| requests | ok | client errors | client 429s | p50 | p99 | upstream 500s / 429s absorbed | proxy RSS start | proxy RSS end |");
            report.add("|---|---|---|---|---|---|---|---|---|");
            report.add(String.format(Locale.ROOT, "| %d | %d | %d | %d | %.2f ms | %.2f ms | %d / %d | %.0f MB | %.0f MB |", result.sent(), result.ok(),
                    result.otherStatus() + result.transportErrors(), result.throttled(), result.latencyMillis(50), result.latencyMillis(99),
                    upstream500, upstream429, rssStart / 1e6, rssEnd / 1e6));
            report.add("");
        } finally {
            for (Simulator account : accounts) {
                account.close();
            }
        }
    }

    private static String backends(Simulator... accounts) {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < accounts.length; i++) {
            json.append(i == 0 ? "" : ",").append("{\"name\":\"openai").append(i + 1).append("\",\"url\":\"").append(accounts[i].url()).append("\"")
                    .append(",\"apiKey\":\"unused\"}");
        }
        return json.append("]").toString();
    }

    private static LoadSpec withDuration(LoadSpec spec, Duration duration) {
        return new LoadSpec(spec.target(), spec.body(), spec.headers(), spec.stream(), spec.ratePerSecond(), spec.concurrency(), duration);
    }

    private static String row(String name, LoadResult result) {
        return String.format(Locale.ROOT, "| %s | %.0f | %.2f ms | %.2f ms | %d |", name, result.requestsPerSecond(),
                result.latencyMillis(50), result.latencyMillis(99), result.sent() - result.ok());
    }

    private static String verdict(boolean met) {
        return met ? "met" : "**not met**";
    }
}
