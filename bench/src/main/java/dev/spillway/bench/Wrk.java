package dev.spillway.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * wrk, the C load generator, for the non-streaming overhead runs: light enough that the proxies,
 * not the client, are what the two cores spend their time on (the Java load generator costs more
 * CPU per request than nginx does). Each run writes its Lua script (method, body, headers) to the
 * run's directory and parses wrk's text report.
 */
final class Wrk {

    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in ([\\d.]+)(us|ms|s|m|h)");
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([\\d.]+)");
    private static final Pattern SOCKET_ERRORS = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

    private final Path dir;
    private final int connections;
    private final int threads;

    /** @param dir where scripts and raw outputs go */
    Wrk(Path dir, int connections, int threads) {
        this.dir = dir;
        this.connections = connections;
        this.threads = threads;
    }

    /** @param name names the raw output file kept beside the proxies' logs */
    WrkResult run(String name, URI target, String body, Map<String, String> headers, Duration duration) throws IOException, InterruptedException {
        Path script = dir.resolve("wrk-post.lua");
        Files.writeString(script, script(body, headers));
        Path output = dir.resolve("wrk-" + name + ".txt");
        Process wrk = new ProcessBuilder("wrk", "-t", Integer.toString(threads), "-c", Integer.toString(connections),
                "-d", duration.toSeconds() + "s", "--timeout", "10s", "--latency", "-s", script.toString(), target.toString())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        int status = wrk.waitFor();
        String text = Files.readString(output);
        if (status != 0) {
            throw new IOException("wrk exited with status " + status + ": " + text.strip());
        }
        return parse(text);
    }

    static WrkResult parse(String text) throws IOException {
        Matcher requests = find(REQUESTS, text);
        Matcher rate = find(RATE, text);
        Matcher socket = SOCKET_ERRORS.matcher(text);
        long socketErrors = 0;
        if (socket.find()) {
            for (int group = 1; group <= 4; group++) {
                socketErrors += Long.parseLong(socket.group(group));
            }
        }
        Matcher non2xx = NON_2XX.matcher(text);
        return new WrkResult(Long.parseLong(requests.group(1)), toMillis(requests.group(2), requests.group(3)) / 1000,
                Double.parseDouble(rate.group(1)), percentile(text, "50"), percentile(text, "99"),
                non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0, socketErrors);
    }

    /** A line of the latency distribution, such as {@code     99%    5.67ms}. */
    private static double percentile(String text, String percent) throws IOException {
        Matcher line = find(Pattern.compile("^\\s+" + percent + "%\\s+([\\d.]+)(us|ms|s|m|h)", Pattern.MULTILINE), text);
        return toMillis(line.group(1), line.group(2));
    }

    private static Matcher find(Pattern pattern, String text) throws IOException {
        Matcher matcher = pattern.matcher(text);
        if (!matcher.find()) {
            throw new IOException("wrk's report has no match for " + pattern + ":\n" + text);
        }
        return matcher;
    }

    private static double toMillis(String value, String unit) {
        double number = Double.parseDouble(value);
        return switch (unit) {
            case "us" -> number / 1000;
            case "ms" -> number;
            case "s" -> number * 1000;
            case "m" -> number * 60_000;
            default -> number * 3_600_000;
        };
    }

    private static String script(String body, Map<String, String> headers) {
        StringBuilder lua = new StringBuilder("-- Written by scripts/bench: every request is this POST.\n");
        lua.append("wrk.method = \"POST\"\n");
        lua.append("wrk.body = [==[").append(body).append("]==]\n");
        lua.append("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
        headers.forEach((name, value) -> lua.append("wrk.headers[\"").append(name).append("\"] = \"").append(value).append("\"\n"));
        return lua.toString();
    }
}
