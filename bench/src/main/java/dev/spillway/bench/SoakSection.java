package dev.spillway.bench;

import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Steady load for a bounded time while the backends take turns failing: errors, p99, memory at start and end. */
final class SoakSection implements Section {

    private static final List<String> JVM = List.of("-Xms64m", "-Xmx256m");

    @Override
    public void run(BenchRun bench) throws Exception {
        boolean quick = bench.quick();
        Duration duration = bench.seconds(180, 20);
        SimulatorOptions options = SimulatorOptions.defaults().withTokensPerMinute(BenchRun.UNLIMITED_TPM)
                .withTokenLatency(Duration.ofMillis(2)).withCompletionTokens(20);
        List<Simulator> accounts = List.of(Simulator.start(options), Simulator.start(options), Simulator.start(options));
        try (ProxyProcess proxy = (ProxyProcess) bench.start(Peer.SPILLWAY, "soak", BenchRun.urls(accounts), Map.of(), JVM)) {
            long rssStart = proxy.rssBytes();
            Thread faults = Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (int step = 0; !Thread.currentThread().isInterrupted(); step++) {
                        Thread.sleep(quick ? 2_000 : 10_000);
                        for (Simulator account : accounts) {
                            account.faults().clear();
                        }
                        accounts.get(0).acceptConnectionsIfRefused();
                        switch (step % 5) {
                            case 0 -> accounts.get(1).faults().failWith(500);
                            case 1 -> accounts.get(2).faults().throttleAll(Duration.ofSeconds(5));
                            case 2 -> accounts.get(0).refuseConnections();
                            case 3 -> accounts.get(1).faults().delayFirstByte(Duration.ofSeconds(3));
                            default -> { }
                        }
                    }
                } catch (InterruptedException stop) {
                    // soak over
                }
            });
            System.err.println("soak: " + duration.toSeconds() + " s of steady load with rotating backend faults");
            LoadResult result = bench.load().run(new LoadSpec(URI.create(proxy.url() + BenchRun.CHAT_PATH), LoadSpec.chatBody(null, 200, 20, false),
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
            Report report = bench.report();
            report.heading("Soak: " + duration.toSeconds() + " s at 150 requests/s while the three backends take turns failing");
            report.paragraph("Every " + (quick ? 2 : 10) + " s one fault replaces the last: openai2 answers 500, openai3 answers 429, openai1 refuses "
                    + "connections, openai2 takes 3 s to answer, then none. Spillway only: this section is about its failover, not its speed. Proxy JVM options: `"
                    + String.join(" ", JVM) + "`, default limits.");
            report.tableHeader("requests", "ok", "client errors", "client 429s", "p50", "p99", "upstream 500s / 429s absorbed",
                    "proxy RSS start", "proxy RSS end");
            report.row(result.sent(), result.ok(), result.otherStatus() + result.transportErrors(), result.throttled(),
                    Report.ms(result.latencyMillis(50)), Report.ms(result.latencyMillis(99)), upstream500 + " / " + upstream429,
                    Report.mb(rssStart), Report.mb(rssEnd));
            report.line("");
        } finally {
            accounts.forEach(Simulator::close);
        }
    }
}
