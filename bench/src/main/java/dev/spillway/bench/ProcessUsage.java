package dev.spillway.bench;

/**
 * What a process and its children cost at one moment, read from /proc.
 *
 * @param cpuSeconds user plus system CPU time used so far (utime + stime), summed over the processes
 * @param rssBytes   resident set size now, summed over the processes
 */
record ProcessUsage(double cpuSeconds, long rssBytes) {

    /** CPU seconds used between {@code earlier} and this sample. */
    double cpuSecondsSince(ProcessUsage earlier) {
        return cpuSeconds - earlier.cpuSeconds;
    }
}
