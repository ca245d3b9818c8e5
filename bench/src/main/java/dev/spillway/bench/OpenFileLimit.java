package dev.spillway.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's hard limit on open files ({@code /proc/self/limits}), which the proxies it starts
 * inherit. Every stream through a proxy holds two descriptors there (the client's connection and the
 * upstream one), so the limit caps how many streams one process can carry; raising it past the hard
 * limit takes CAP_SYS_RESOURCE, which a container often lacks.
 */
final class OpenFileLimit {

    private OpenFileLimit() {}

    /** The hard limit, or {@link Long#MAX_VALUE} when unlimited or unreadable. */
    static long hard() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
                    return fields[1].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(fields[1]);
                }
            }
        } catch (IOException | RuntimeException unreadable) {
            // not Linux, or an unexpected format: assume no limit and let the run say otherwise
        }
        return Long.MAX_VALUE;
    }

    /** How many streams fit through one process: two descriptors each, and some to spare for the process's own files. */
    static int streamsPerProcess() {
        long hard = hard();
        return hard == Long.MAX_VALUE ? Integer.MAX_VALUE : (int) Math.max(0, (hard - 300) / 2);
    }
}
