package dev.spillway.bench;

/**
 * What one wrk run reported.
 *
 * @param requests     responses completed (wrk's "N requests in ...")
 * @param seconds      how long wrk ran
 * @param p50Millis    latency percentiles from {@code --latency}
 * @param non2xx       "Non-2xx or 3xx responses"
 * @param socketErrors connect + read + write + timeout errors
 */
record WrkResult(long requests, double seconds, double requestsPerSecond, double p50Millis, double p99Millis,
                 long non2xx, long socketErrors) {

    long errors() {
        return non2xx + socketErrors;
    }
}
