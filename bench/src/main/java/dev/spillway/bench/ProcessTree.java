package dev.spillway.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A process and its descendants (nginx: the master and its workers; the proxy: one JVM), measured
 * from /proc (Linux). CPU is utime + stime from {@code /proc/<pid>/stat}, which covers every thread
 * of a process; RSS is {@code VmRSS} from {@code /proc/<pid>/status}. Summing RSS over nginx's
 * processes counts the pages they share (code, the shared config) once per process, which can only
 * make nginx look bigger, never Spillway.
 */
final class ProcessTree {

    private static final double TICKS_PER_SECOND = clockTicks();

    private final long pid;

    ProcessTree(long pid) {
        this.pid = pid;
    }

    long pid() {
        return pid;
    }

    /** The process and its descendants alive now. */
    List<Long> pids() {
        List<Long> pids = new ArrayList<>();
        pids.add(pid);
        ProcessHandle.of(pid).ifPresent(root -> root.descendants().forEach(child -> pids.add(child.pid())));
        return pids;
    }

    ProcessUsage usage() {
        double cpu = 0;
        long rss = 0;
        for (long each : pids()) {
            try {
                cpu += cpuSeconds(each);
                rss += rssBytes(each);
            } catch (NoSuchFileException gone) {
                // A child that exited between listing and reading: it uses nothing any more.
            } catch (IOException e) {
                throw new IllegalStateException("cannot read /proc/" + each + ": " + e.getMessage(), e);
            }
        }
        return new ProcessUsage(cpu, rss);
    }

    private static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // After the name, field 3 (state) is index 0, so utime (14) and stime (15) are indexes 11 and 12.
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
    }

    private static long rssBytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        return 0;
    }

    private static double clockTicks() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(getconf.getInputStream().readAllBytes()).trim();
            return getconf.waitFor() == 0 ? Double.parseDouble(out) : 100;
        } catch (IOException | InterruptedException | NumberFormatException e) {
            return 100; // what Linux uses on every common architecture
        }
    }
}
