package dev.spillway.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Simulated accounts in a process of their own ({@code SimulatorMain} from the bench jar), for the
 * open-streams section: 10,000 streams hold 10,000 descriptors at the accounts and as many at the
 * load generator, more than one process may have open on machines with a 20,000 limit.
 */
final class AccountsProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final List<String> urls;

    private AccountsProcess(Process process, List<String> urls) {
        this.process = process;
        this.urls = urls;
    }

    /** Instant accounts with unlimited TPM that stream {@code completionTokens} tokens, one every {@code tokenLatency}. */
    static AccountsProcess start(int count, Duration tokenLatency, int completionTokens, Path log) throws IOException, InterruptedException {
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            try (ServerSocket socket = new ServerSocket(0)) {
                ports.add(socket.getLocalPort());
            }
        }
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                "dev.spillway.simulator.SimulatorMain", "--instant", "--token-latency-ms", Long.toString(tokenLatency.toMillis()),
                "--completion-tokens", Integer.toString(completionTokens), "--tpm", Long.toString(BenchRun.UNLIMITED_TPM),
                "--ports", ports.stream().map(String::valueOf).collect(Collectors.joining(",")));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        AccountsProcess accounts = new AccountsProcess(process, ports.stream().map(port -> "http://127.0.0.1:" + port).toList());
        try {
            accounts.awaitReady(count, log);
        } catch (IOException | InterruptedException | RuntimeException e) {
            accounts.close();
            throw e;
        }
        return accounts;
    }

    List<String> urls() {
        return urls;
    }

    /** SimulatorMain prints one line per account once it listens. */
    private void awaitReady(int count, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String out = Files.readString(log);
            if (out.lines().filter(line -> line.startsWith("Simulated Azure OpenAI account on")).count() >= count) {
                return;
            }
            if (!process.isAlive()) {
                throw new IOException("the simulated accounts exited during start-up: " + out.strip());
            }
            Thread.sleep(100);
        }
        throw new IOException("the simulated accounts did not start within " + START_TIMEOUT.toSeconds() + " s; see " + log);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
