package dev.spillway.proxy.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server (Debian's package; scripts/test installs it) on a free loopback port, with
 * nothing saved to disk. It can be stopped and started again on the same port, as a store that
 * goes away and comes back.
 */
public final class RedisServer implements AutoCloseable {

    private final int port;
    private final List<String> extraArgs;
    private Process process;

    private RedisServer(int port, List<String> extraArgs) {
        this.port = port;
        this.extraArgs = extraArgs;
    }

    /** @param extraArgs more redis-server options, such as {@code --requirepass secret} */
    public static RedisServer start(String... extraArgs) {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            RedisServer server = new RedisServer(freePort(), List.of(extraArgs));
            try {
                server.startAgain();
                return server;
            } catch (IllegalStateException e) {
                // Another process took the port between the probe and the start.
                last = e;
            }
        }
        throw last;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts the server again on its port, empty: as a store that restarted without persistence. */
    public synchronized void startAgain() {
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "no"));
        command.addAll(extraArgs);
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("redis-server is not installed (apt-get install redis-server; scripts/test does it)", e);
        }
        CountDownLatch ready = new CountDownLatch(1);
        StringBuilder output = new StringBuilder();
        Process started = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    synchronized (output) {
                        if (output.length() < 20_000) {
                            output.append(line).append('\n');
                        }
                    }
                    if (line.contains("Ready to accept connections")) {
                        ready.countDown();
                    }
                }
            } catch (IOException ignored) {
                // The server went away; its output is no longer needed.
            }
        }, "redis-server-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!ready.await(10, TimeUnit.SECONDS)) {
                started.destroyForcibly();
                synchronized (output) {
                    throw new IllegalStateException("redis-server did not start on port " + port + ":\n" + output);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Kills the server at once (SIGKILL), as a store that vanished. */
    public synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    @Override
    public void close() {
        kill();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
