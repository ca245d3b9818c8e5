package dev.spillway.proxy.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged proxy jar as a process, started the way the container starts it. */
public final class ProxyJar implements AutoCloseable {

    private static final Path JAR = Path.of(System.getProperty("spillway.proxy.jar", "target/spillway-proxy.jar"));

    private final Process process;
    private final int port;
    private final Path output;

    private ProxyJar(Process process, int port, Path output) {
        this.process = process;
        this.port = port;
        this.output = output;
    }

    /**
     * Starts the jar with this environment plus a free PORT, and waits until /readyz answers 200. A free
     * port can only be found by binding it, and it must be let go before the jar can bind it; should
     * something else take it in between, the jar says so and exits, and another port is tried.
     */
    public static ProxyJar start(Map<String, String> env, Path output) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            int port = freePort();
            ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-jar", JAR.toString());
            builder.environment().clear();
            builder.environment().putAll(env);
            builder.environment().put("PORT", Integer.toString(port));
            builder.redirectErrorStream(true).redirectOutput(output.toFile());
            ProxyJar jar = new ProxyJar(builder.start(), port, output);
            try {
                jar.awaitReady();
                return jar;
            } catch (PortTaken e) {
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The jar could not listen on its port: another process bound it after {@link #freePort()} let it go. */
    private static final class PortTaken extends IOException {
        PortTaken(String message) {
            super(message);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public Process process() {
        return process;
    }

    public String output() throws IOException {
        return Files.readString(output);
    }

    /** Live threads of the process (platform threads; virtual threads are not OS threads). */
    public long threads() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("Threads:")) {
                return Long.parseLong(line.substring(8).trim());
            }
        }
        return -1;
    }

    private void awaitReady() throws InterruptedException, IOException {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String output = output();
                if (output.contains("cannot listen on port")) {
                    throw new PortTaken(output);
                }
                throw new IOException("the proxy exited with " + process.exitValue() + ": " + output);
            }
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(url() + "/readyz")).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(100);
        }
        throw new IOException("the proxy was not ready within 30 s: " + output());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
