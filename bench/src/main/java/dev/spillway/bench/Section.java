package dev.spillway.bench;

/** One part of {@code scripts/bench}, chosen with {@code --only NAME}; it adds its table to the run's report. */
interface Section {

    void run(BenchRun bench) throws Exception;
}
