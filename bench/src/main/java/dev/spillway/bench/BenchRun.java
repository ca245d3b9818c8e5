package dev.spillway.bench;

import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.net.URI;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What every section of one {@code scripts/bench} run shares: the proxy jar, the directory for
 * logs and generated files, quick or full, the Java load generator, and the report being written.
 */
record BenchRun(Path jar, Path logs, boolean quick, LoadGenerator load, Report report) {

    static final String CHAT_PATH = "/openai/deployments/chat/chat/completions?api-version=2024-10-21";
    /** Accounts that never refuse: the data-path sections measure proxies, not quota. */
    static final long UNLIMITED_TPM = 1_000_000_000_000L;
    /** In quick mode the stream counts are divided by this (durations are shortened too). */
    static final int QUICK_DIVISOR = 10;

    Duration seconds(int full, int quick) {
        return Duration.ofSeconds(this.quick ? quick : full);
    }

    int count(int full) {
        return quick ? Math.max(1, full / QUICK_DIVISOR) : full;
    }

    /** Starts {@code count} simulated accounts alike; the section closes them when it ends. */
    static List<Simulator> startAccounts(int count, SimulatorOptions options) {
        List<Simulator> accounts = new java.util.ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                accounts.add(Simulator.start(options));
            }
        } catch (RuntimeException e) {
            accounts.forEach(Simulator::close);
            throw e;
        }
        return accounts;
    }

    /** The accounts' base URLs, such as {@code http://127.0.0.1:PORT}, in order. */
    static List<String> urls(List<Simulator> accounts) {
        return accounts.stream().map(Simulator::url).toList();
    }

    /** A fresh proxy over the accounts (base URLs), with default proxy JVM options and environment. */
    MeasuredProxy start(Peer peer, String scenario, List<String> accounts) throws IOException, InterruptedException {
        return start(peer, scenario, accounts, Map.of(), List.of());
    }

    /**
     * A fresh proxy over the accounts (base URLs): nginx round robin over all of them, or Spillway with them as its backends.
     *
     * @param spillwayEnv extra environment for Spillway (nginx has no counterpart)
     * @param spillwayJvm JVM options for Spillway
     */
    MeasuredProxy start(Peer peer, String scenario, List<String> accounts, Map<String, String> spillwayEnv, List<String> spillwayJvm)
            throws IOException, InterruptedException {
        return switch (peer) {
            case NGINX -> NginxPeer.start(logs.resolve("nginx-" + scenario), accounts.stream().map(URI::create).map(url -> url.getHost() + ":" + url.getPort()).toList());
            case SPILLWAY -> {
                Map<String, String> env = new HashMap<>(spillwayEnv);
                env.put("SPILLWAY_BACKENDS", ProxyProcess.backends(accounts));
                yield ProxyProcess.start(jar, env, logs.resolve(scenario + ".log"), spillwayJvm.toArray(String[]::new));
            }
        };
    }
}
