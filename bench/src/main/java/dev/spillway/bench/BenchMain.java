package dev.spillway.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code scripts/bench}: one run on this machine of the benchmarks, printing a report and writing
 * {@code docs/BENCHMARKS.md}. Every data-path section measures Spillway and nginx side by side,
 * each started fresh over the same simulated accounts at the same moment, so that each Spillway
 * number is read against a peer's. Simulated accounts and the Java load generator run in this
 * JVM; wrk, nginx and the proxy ({@code java -jar}) are processes of their own.
 */
public final class BenchMain {

    /** Section names for {@code --only}, in run order. */
    private static final Map<String, Section> SECTIONS = new LinkedHashMap<>();

    static {
        SECTIONS.put("overhead", new OverheadSection());
        SECTIONS.put("streaming", new StreamingSection());
        SECTIONS.put("slow-streams", new SlowStreamsSection());
        SECTIONS.put("open-streams", new OpenStreamsSection());
        SECTIONS.put("quota", new QuotaSection());
        SECTIONS.put("soak", new SoakSection());
    }

    private static final String USAGE = "usage: scripts/bench [--quick] [--only " + String.join(",", SECTIONS.keySet())
            + "] [--jar proxy/target/spillway-proxy.jar] [--output docs/BENCHMARKS.md]";

    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        Set<String> only = new LinkedHashSet<>(SECTIONS.keySet());
        boolean quick = false;
        Path jar = Path.of("proxy/target/spillway-proxy.jar");
        Path output = Path.of("docs/BENCHMARKS.md");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--only" -> only = new LinkedHashSet<>(List.of(args[++i].split(",")));
                case "--jar" -> jar = Path.of(args[++i]);
                case "--output" -> output = Path.of(args[++i]);
                default -> usage();
            }
        }
        // "streams" was the open-streams section's name before it had siblings.
        if (only.remove("streams")) {
            only.add("open-streams");
        }
        for (String name : only) {
            if (!SECTIONS.containsKey(name)) {
                System.err.println("scripts/bench: no section named " + name);
                usage();
            }
        }
        Path logs = Files.createTempDirectory("spillway-bench");
        BenchRun bench = new BenchRun(jar, logs, quick, new LoadGenerator(System.err), new Report());
        header(bench, String.join(" ", args));
        List<String> failed = new ArrayList<>();
        for (Map.Entry<String, Section> section : SECTIONS.entrySet()) {
            if (only.contains(section.getKey())) {
                try {
                    section.getValue().run(bench);
                } catch (Exception e) {
                    // One broken section should not cost the others' numbers; the report says what happened.
                    failed.add(section.getKey());
                    e.printStackTrace();
                    bench.report().paragraph("Section `" + section.getKey() + "` failed: " + e);
                }
            }
        }
        String text = bench.report().text();
        System.out.println();
        System.out.println(text);
        if (!quick) {
            Files.createDirectories(output.toAbsolutePath().getParent());
            Files.writeString(output, text);
            System.out.println("Written to " + output);
        }
        System.out.println("Proxy logs, nginx configs and wrk outputs in " + logs);
        if (!failed.isEmpty()) {
            System.err.println("scripts/bench: sections failed: " + String.join(", ", failed));
            System.exit(1);
        }
    }

    private static void usage() {
        System.err.println(USAGE);
        System.exit(2);
    }

    private static void header(BenchRun bench, String args) {
        Report report = bench.report();
        report.paragraph("# Benchmarks");
        report.paragraph("Produced by `scripts/bench" + (args.isBlank() ? "" : " " + args) + "` on " + LocalDate.now() + ", one run on one machine:");
        report.line("- machine: " + Runtime.getRuntime().availableProcessors() + " cores (" + cpuModel() + "), Linux " + System.getProperty("os.version"));
        report.line("- bench JVM and proxy JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        report.line("- peer: " + NginxPeer.version() + " (Debian package, `worker_processes 2`, round robin, upstream keepalive; config "
                + "written by `NginxPeer`), load generator for S1: " + wrkVersion());
        report.line("- Spillway: `java -jar " + bench.jar() + "` in its own process, root log level " + ProxyProcess.logLevel(bench.jar())
                + ", its log written to a file");
        if (bench.quick()) {
            report.line("- **quick mode**: shorter durations, and the stream counts of the slow-streams and open-streams sections divided by "
                    + BenchRun.QUICK_DIVISOR + "; the numbers only show that the sections run");
        }
        report.line("");
        report.paragraph("The simulated accounts and the Java load generator share the bench JVM, and everything shares the same cores, "
                + "so absolute numbers are conservative; the ratios to nginx, measured in the same run against the same accounts, are the "
                + "numbers to read.");
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static String wrkVersion() {
        try {
            Process wrk = new ProcessBuilder("wrk", "--version").redirectErrorStream(true).start();
            String first = new String(wrk.getInputStream().readAllBytes()).lines().findFirst().orElse("wrk").trim();
            wrk.waitFor();
            // "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer"
            return first.replaceAll(" Copyright.*", "");
        } catch (IOException e) {
            return "wrk not found";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "wrk";
        }
    }
}
