package dev.spillway.bench;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * What a load run saw from the client's side.
 *
 * @param latency       request start to end of response, in microseconds
 * @param timeToFirstByte request start to the response headers (or first SSE event when streaming), in microseconds
 * @param tokensServed  total tokens reported in the usage of successful responses
 * @param byBackend     successful responses per {@code x-spillway-backend} value
 * @param peakOpenStreams the most streams open at one moment (first byte received, end not yet); 0 when not streaming
 */
public record LoadResult(long sent, long ok, long throttled, long otherStatus, long transportErrors,
                         Histogram latency, Histogram timeToFirstByte, long tokensServed,
                         Map<String, Long> byBackend, long peakOpenStreams, Duration elapsed) {

    public LoadResult {
        byBackend = new TreeMap<>(byBackend);
    }

    public double requestsPerSecond() {
        return sent / seconds();
    }

    /** Requests that did not end in a 200: other statuses, 429s and transport errors. */
    public long failed() {
        return sent - ok;
    }

    public double successRate() {
        return sent == 0 ? 0 : (double) ok / sent;
    }

    public double throttledShare() {
        return sent == 0 ? 0 : (double) throttled / sent;
    }

    public double tokensPerMinute() {
        return tokensServed / seconds() * 60;
    }

    /** Milliseconds at a percentile of the full-response latency. */
    public double latencyMillis(double percentile) {
        return latency.getTotalCount() == 0 ? Double.NaN : latency.getValueAtPercentile(percentile) / 1000.0;
    }

    public double timeToFirstByteMillis(double percentile) {
        return timeToFirstByte.getTotalCount() == 0 ? Double.NaN : timeToFirstByte.getValueAtPercentile(percentile) / 1000.0;
    }

    private double seconds() {
        return Math.max(0.001, elapsed.toNanos() / 1e9);
    }

    public String summary() {
        StringBuilder text = new StringBuilder();
        text.append(String.format("requests      %d sent, %d ok (%.2f%%), %d answered 429 (%.2f%%), %d other status, %d transport errors%n",
                sent, ok, successRate() * 100, throttled, throttledShare() * 100, otherStatus, transportErrors));
        text.append(String.format("throughput    %.1f requests/s over %.1f s%n", requestsPerSecond(), seconds()));
        text.append(String.format("latency       p50 %.2f ms, p95 %.2f ms, p99 %.2f ms%n", latencyMillis(50), latencyMillis(95), latencyMillis(99)));
        text.append(String.format("first byte    p50 %.2f ms, p99 %.2f ms%n", timeToFirstByteMillis(50), timeToFirstByteMillis(99)));
        text.append(String.format("tokens        %d served, %.0f tokens per minute%n", tokensServed, tokensPerMinute()));
        if (!byBackend.isEmpty()) {
            text.append("per backend  ");
            byBackend.forEach((backend, count) -> text.append(String.format(" %s %d (%.1f%%)", backend, count, ok == 0 ? 0.0 : 100.0 * count / ok)));
            text.append(System.lineSeparator());
        }
        return text.toString();
    }
}
