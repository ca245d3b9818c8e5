package dev.spillway.bench;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The packaged proxy as its own process, as it runs in a container, so that its memory can be read. */
final class ProxyProcess implements AutoCloseable {

    static final String KEY = "bench-key";

    private final Process process;
    private final int port;
    private final HttpClient http = HttpClient.newHttpClient();

    private ProxyProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** @param env the proxy's environment on top of PORT and SPILLWAY_API_KEYS */
    static ProxyProcess start(Path jar, Map<String, String> env, Path log, String... jvmOptions) throws IOException, InterruptedException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        java.util.List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(java.util.List.of(jvmOptions));
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("PORT", Integer.toString(port));
        builder.environment().put("SPILLWAY_API_KEYS", KEY);
        builder.environment().putAll(env);
        builder.redirectErrorStream(true).redirectOutput(log.toFile());
        ProxyProcess proxy = new ProxyProcess(builder.start(), port);
        try {
            proxy.awaitReady();
        } catch (IOException | InterruptedException | RuntimeException e) {
            // Not returned, so nobody else will stop it: a proxy left running would skew every later run.
            proxy.process.destroyForcibly();
            throw e;
        }
        return proxy;
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    /** Resident set size, from /proc (Linux). */
    long rssBytes() throws IOException {
        Matcher matcher = Pattern.compile("VmRSS:\\s+(\\d+) kB").matcher(Files.readString(Path.of("/proc", Long.toString(pid()), "status")));
        return matcher.find() ? Long.parseLong(matcher.group(1)) * 1024 : -1;
    }

    String metrics() throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url() + "/metrics")).header("api-key", KEY).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The sum of a metric's samples whose line starts with the given prefix (name plus optional labels). */
    double metric(String prefix) throws IOException, InterruptedException {
        double sum = 0;
        for (String line : metrics().split("\n")) {
            if (line.startsWith(prefix)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private void awaitReady() throws InterruptedException, IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("the proxy exited during start-up with status " + process.exitValue());
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
        throw new IOException("the proxy was not ready within 60 s");
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
