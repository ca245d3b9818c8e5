package dev.spillway.bench;

import static dev.spillway.bench.Report.format;
import static dev.spillway.bench.Report.ms;
import static dev.spillway.bench.Report.times;
import static dev.spillway.bench.Report.verdict;

import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * S1: small non-streaming chat completions, wrk with 64 connections, through nginx and through
 * Spillway over the same three instant accounts. Each proxy is started fresh per scenario: cold is
 * the first seconds after it is ready (a new replica takes traffic cold), warm is measured after
 * a warm-up. CPU per request is the proxy's CPU seconds over the measured window divided by the
 * requests wrk completed in it.
 */
final class OverheadSection implements Section {

    private static final int CONNECTIONS = 64;
    private static final int THREADS = 2;
    private static final int ACCOUNTS = 3;

    /** One measured window. */
    record Run(String path, String phase, WrkResult load, double cpuSeconds) {

        double cpuMicrosPerRequest() {
            return load.requests() == 0 || Double.isNaN(cpuSeconds) ? Double.NaN : cpuSeconds * 1e6 / load.requests();
        }
    }

    @Override
    public void run(BenchRun bench) throws Exception {
        Duration cold = bench.seconds(10, 3);
        Duration warmUp = bench.seconds(20, 3);
        Duration warm = bench.seconds(20, 3);
        Wrk wrk = new Wrk(bench.logs(), CONNECTIONS, THREADS);
        String body = LoadSpec.chatBody(null, 100, 20, false);
        // Sent to every path alike; nginx passes it on and the accounts, which have no key, ignore it.
        Map<String, String> headers = Map.of("api-key", ProxyProcess.KEY);
        List<Simulator> accounts = BenchRun.startAccounts(ACCOUNTS, SimulatorOptions.defaults().withTokensPerMinute(BenchRun.UNLIMITED_TPM));
        try {
            // The accounts share the bench JVM: warm their code first, so the first proxy measured does not pay for it.
            System.err.println("overhead: warming up the accounts");
            for (Simulator account : accounts) {
                wrk.run("account-warm-up", URI.create(account.url() + BenchRun.CHAT_PATH), body, headers, bench.seconds(5, 1));
            }
            System.err.println("overhead: directly to one account");
            Run direct = new Run("directly to one account", "reference",
                    wrk.run("direct", URI.create(accounts.getFirst().url() + BenchRun.CHAT_PATH), body, headers, bench.seconds(10, 3)), Double.NaN);
            List<Run> runs = new ArrayList<>();
            for (String phase : List.of("cold", "warm")) {
                for (Peer peer : Peer.values()) {
                    try (MeasuredProxy proxy = bench.start(peer, "overhead-" + phase, BenchRun.urls(accounts))) {
                        URI target = URI.create(proxy.url() + BenchRun.CHAT_PATH);
                        if (phase.equals("warm")) {
                            System.err.println("overhead: " + proxy.name() + " warm-up");
                            wrk.run(proxy.name() + "-warm-up", target, body, headers, warmUp);
                        }
                        System.err.println("overhead: " + proxy.name() + " " + phase);
                        ProcessUsage before = proxy.process().usage();
                        WrkResult result = wrk.run(proxy.name() + "-" + phase, target, body, headers, phase.equals("cold") ? cold : warm);
                        runs.add(new Run(proxy.name(), phase, result, proxy.process().usage().cpuSecondsSince(before)));
                    }
                }
            }
            write(bench, cold, warmUp, warm, direct, runs);
        } finally {
            accounts.forEach(Simulator::close);
        }
    }

    private static void write(BenchRun bench, Duration cold, Duration warmUp, Duration warm, Run direct, List<Run> runs) {
        Report report = bench.report();
        report.heading("S1. Overhead: non-streaming chat completions, wrk, " + CONNECTIONS + " connections");
        report.paragraph("wrk (" + THREADS + " threads, " + CONNECTIONS + " connections, closed loop, `--latency`) posts a 100-character "
                + "chat completion (max_tokens 20) through each proxy to " + ACCOUNTS + " instant simulated accounts "
                + "(`SimulatorOptions.defaults()`, unlimited TPM) in the bench JVM; nginx balances them round robin, Spillway with its "
                + "default policy. Each proxy is started fresh for each scenario: *cold* is the first " + cold.toSeconds() + " s after "
                + "it is ready, with no warm-up; *warm* is " + warm.toSeconds() + " s measured after a " + warmUp.toSeconds()
                + " s warm-up. CPU per request: the proxy's CPU time (utime + stime of its processes) over the measured window, "
                + "divided by the requests wrk completed in it. Errors: non-2xx answers plus socket errors. Ratios are Spillway "
                + "over nginx in the same scenario.");
        report.tableHeader("scenario", "path", "requests/s", "p50", "p99", "CPU per request", "errors", "requests/s vs nginx",
                "CPU vs nginx", "p99 vs nginx");
        report.row(direct.phase(), direct.path(), format("%.0f", direct.load().requestsPerSecond()), ms(direct.load().p50Millis()),
                ms(direct.load().p99Millis()), "-", direct.load().errors(), "", "", "");
        for (Run run : runs) {
            Run nginx = find(runs, "nginx", run.phase());
            boolean isPeer = run == nginx;
            report.row(run.phase(), run.path(), format("%.0f", run.load().requestsPerSecond()), ms(run.load().p50Millis()), ms(run.load().p99Millis()),
                    format("%.0f µs", run.cpuMicrosPerRequest()), run.load().errors(),
                    isPeer ? "" : times(run.load().requestsPerSecond() / nginx.load().requestsPerSecond()),
                    isPeer ? "" : times(run.cpuMicrosPerRequest() / nginx.cpuMicrosPerRequest()),
                    isPeer ? "" : format("%+.2f ms", run.load().p99Millis() - nginx.load().p99Millis()));
        }
        report.line("");
        Run nginxWarm = find(runs, "nginx", "warm");
        Run spillwayWarm = find(runs, "Spillway", "warm");
        Run nginxCold = find(runs, "nginx", "cold");
        Run spillwayCold = find(runs, "Spillway", "cold");
        double warmRate = spillwayWarm.load().requestsPerSecond() / nginxWarm.load().requestsPerSecond();
        double cpu = spillwayWarm.cpuMicrosPerRequest() / nginxWarm.cpuMicrosPerRequest();
        double p99 = spillwayWarm.load().p99Millis() - nginxWarm.load().p99Millis();
        double coldRate = spillwayCold.load().requestsPerSecond() / nginxCold.load().requestsPerSecond();
        report.line("Targets:");
        report.line(format("- warm requests/s at least 0.7x nginx's: %s, %s", times(warmRate), verdict(warmRate >= 0.7)));
        report.line(format("- warm CPU per request at most 2.5x nginx's: %s, %s", times(cpu), verdict(cpu <= 2.5)));
        report.line(format("- warm p99 at most nginx's + 5 ms: %+.2f ms, %s", p99, verdict(p99 <= 5)));
        report.line(format("- cold requests/s at least 0.3x nginx's (cold against cold): %s, %s", times(coldRate), verdict(coldRate >= 0.3)));
        report.line("- no errors: " + verdict(runs.stream().allMatch(run -> run.load().errors() == 0)));
        report.line("");
    }

    private static Run find(List<Run> runs, String path, String phase) {
        return runs.stream().filter(run -> run.path().equals(path) && run.phase().equals(phase)).findFirst().orElseThrow();
    }
}
