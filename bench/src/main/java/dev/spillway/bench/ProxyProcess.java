package dev.spillway.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The packaged proxy as its own process ({@code java -jar proxy/target/spillway-proxy.jar}), as it
 * runs in a container, so that its CPU and memory are its own.
 */
final class ProxyProcess implements MeasuredProxy {

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
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmOptions));
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

    /** The SPILLWAY_BACKENDS value naming the accounts (base URLs) openai1, openai2, ... in order. */
    static String backends(List<String> accounts) {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < accounts.size(); i++) {
            json.append(i == 0 ? "" : ",").append("{\"name\":\"openai").append(i + 1).append("\",\"url\":\"").append(accounts.get(i))
                    .append("\",\"apiKey\":\"unused\"}");
        }
        return json.append("]").toString();
    }

    @Override
    public String name() {
        return "Spillway";
    }

    @Override
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public ProcessTree process() {
        return new ProcessTree(process.pid());
    }

    /** Resident set size now, from /proc (Linux). */
    long rssBytes() {
        return process().usage().rssBytes();
    }

    /** The root log level the proxy runs with: SPILLWAY_LOG_LEVEL if this run sets it, else the jar's logback.xml default. */
    static String logLevel(Path jar) {
        String set = System.getenv("SPILLWAY_LOG_LEVEL");
        if (set != null && !set.isBlank()) {
            return set + " (SPILLWAY_LOG_LEVEL)";
        }
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry entry = zip.getEntry("logback.xml");
            if (entry != null) {
                Matcher level = Pattern.compile("<root level=\"\\$\\{SPILLWAY_LOG_LEVEL:-(\\w+)}\"|<root level=\"(\\w+)\"")
                        .matcher(new String(zip.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8));
                if (level.find()) {
                    return (level.group(1) != null ? level.group(1) : level.group(2)) + " (the jar's logback.xml default)";
                }
            }
        } catch (IOException unreadable) {
            // fall through
        }
        return "unknown (no root level found in the jar's logback.xml)";
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
