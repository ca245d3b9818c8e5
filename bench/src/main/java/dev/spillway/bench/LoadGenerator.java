package dev.spillway.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Offers load over real HTTP and records what came back. Open loop (a fixed rate, as users arrive
 * whatever the service does) or closed loop (a fixed number in flight). Every request runs on its
 * own virtual thread; the loop is bounded by the run's duration and stops by itself.
 */
public final class LoadGenerator {

    private static final Pattern TOTAL_TOKENS = Pattern.compile("\"total_tokens\"\\s*:\\s*(\\d+)");
    private static final long MAX_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(10);

    private final HttpClient http;
    private final PrintStream progress;

    /** @param progress where the live progress line goes, or null for none */
    public LoadGenerator(PrintStream progress) {
        this.progress = progress;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
    }

    public LoadResult run(LoadSpec spec) throws InterruptedException {
        Run run = new Run(spec);
        long started = System.nanoTime();
        long deadline = started + spec.duration().toNanos();
        Thread reporter = progress == null ? null : Thread.ofPlatform().daemon().start(() -> run.report(started, deadline));
        try (ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor()) {
            if (spec.ratePerSecond() > 0) {
                long interval = (long) (1e9 / spec.ratePerSecond());
                long next = started;
                while (next < deadline) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    requests.submit(run::once);
                    next += interval;
                }
            } else {
                // Clients arrive over a ramp (up to 5 s), not in one instant, as they would in life.
                long ramp = Math.min(Duration.ofSeconds(5).toNanos(), spec.duration().toNanos() / 4);
                for (int i = 0; i < spec.concurrency(); i++) {
                    long startAt = started + ramp * i / spec.concurrency();
                    requests.submit(() -> {
                        long wait = startAt - System.nanoTime();
                        if (wait > 0) {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        }
                        while (System.nanoTime() < deadline) {
                            run.once();
                        }
                        return null;
                    });
                }
            }
            requests.shutdown();
            // Requests already started may finish (a long stream takes minutes); a stuck one is abandoned after five.
            requests.awaitTermination(5, TimeUnit.MINUTES);
            requests.shutdownNow();
        }
        if (reporter != null) {
            reporter.interrupt();
            progress.print("\r" + " ".repeat(110) + "\r");
        }
        return run.result(Duration.ofNanos(System.nanoTime() - started));
    }

    /** One run's counters, shared by its requests. */
    private final class Run {
        private final LoadSpec spec;
        private final HttpRequest request;
        private final LongAdder sent = new LongAdder();
        private final LongAdder ok = new LongAdder();
        private final LongAdder throttled = new LongAdder();
        private final LongAdder otherStatus = new LongAdder();
        private final LongAdder transportErrors = new LongAdder();
        private final LongAdder tokens = new LongAdder();
        private final Map<String, LongAdder> byBackend = new ConcurrentHashMap<>();
        private final Recorder latency = new Recorder(MAX_LATENCY_MICROS, 3);
        private final Recorder firstByte = new Recorder(MAX_LATENCY_MICROS, 3);
        private final Histogram latencyTotal = new Histogram(MAX_LATENCY_MICROS, 3);
        private final Histogram firstByteTotal = new Histogram(MAX_LATENCY_MICROS, 3);
        private final AtomicLong lastP50 = new AtomicLong();
        // Streams that have had their first byte and not yet ended: proof that N streams were open at once,
        // not merely N started over the run.
        private final AtomicLong openStreams = new AtomicLong();
        private final AtomicLong peakOpenStreams = new AtomicLong();

        Run(LoadSpec spec) {
            this.spec = spec;
            HttpRequest.Builder builder = HttpRequest.newBuilder(spec.target())
                    .timeout(Duration.ofMinutes(5))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(spec.body()));
            spec.headers().forEach(builder::header);
            this.request = builder.build();
        }

        void once() {
            sent.increment();
            long start = System.nanoTime();
            try {
                HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                long headers = System.nanoTime();
                byte[] body;
                long first = headers;
                try (InputStream in = response.body()) {
                    if (spec.stream() && response.statusCode() == 200) {
                        byte[] chunk = new byte[8192];
                        int read = in.read(chunk);
                        first = System.nanoTime();
                        peakOpenStreams.accumulateAndGet(openStreams.incrementAndGet(), Math::max);
                        byte[] rest;
                        try {
                            rest = in.readAllBytes();
                        } finally {
                            openStreams.decrementAndGet();
                        }
                        body = new byte[Math.max(read, 0) + rest.length];
                        if (read > 0) {
                            System.arraycopy(chunk, 0, body, 0, read);
                        }
                        System.arraycopy(rest, 0, body, Math.max(read, 0), rest.length);
                    } else {
                        body = in.readAllBytes();
                    }
                }
                long end = System.nanoTime();
                int status = response.statusCode();
                if (status == 200) {
                    ok.increment();
                    latency.recordValue(Math.min(MAX_LATENCY_MICROS, (end - start) / 1000));
                    firstByte.recordValue(Math.min(MAX_LATENCY_MICROS, (first - start) / 1000));
                    tokens.add(totalTokens(body));
                    response.headers().firstValue("x-spillway-backend")
                            .ifPresent(backend -> byBackend.computeIfAbsent(backend, b -> new LongAdder()).increment());
                } else if (status == 429) {
                    throttled.increment();
                } else {
                    otherStatus.increment();
                }
            } catch (IOException e) {
                transportErrors.increment();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private long totalTokens(byte[] body) {
            int from = Math.max(0, body.length - 4096);
            Matcher matcher = TOTAL_TOKENS.matcher(new String(body, from, body.length - from, StandardCharsets.UTF_8));
            long last = 0;
            while (matcher.find()) {
                last = Long.parseLong(matcher.group(1));
            }
            return last;
        }

        void report(long started, long deadline) {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(1000);
                    Histogram interval;
                    synchronized (this) {
                        interval = latency.getIntervalHistogram();
                        latencyTotal.add(interval);
                        firstByteTotal.add(firstByte.getIntervalHistogram());
                    }
                    if (interval.getTotalCount() > 0) {
                        lastP50.set(interval.getValueAtPercentile(50));
                    }
                    long elapsed = (System.nanoTime() - started) / 1_000_000_000L;
                    long total = (deadline - started) / 1_000_000_000L;
                    progress.printf("\r[%3d/%ds] sent %d  ok %d  429 %d  errors %d  last-second %d/s  p50 %.1f ms%s   ",
                            elapsed, total, sent.sum(), ok.sum(), throttled.sum(), otherStatus.sum() + transportErrors.sum(),
                            interval.getTotalCount(), lastP50.get() / 1000.0, spec.stream() ? "  open " + openStreams.get() : "");
                }
            } catch (InterruptedException done) {
                // run over
            }
        }

        synchronized LoadResult result(Duration elapsed) {
            latencyTotal.add(latency.getIntervalHistogram());
            firstByteTotal.add(firstByte.getIntervalHistogram());
            Map<String, Long> backends = new ConcurrentHashMap<>();
            byBackend.forEach((backend, count) -> backends.put(backend, count.sum()));
            return new LoadResult(sent.sum(), ok.sum(), throttled.sum(), otherStatus.sum(), transportErrors.sum(),
                    latencyTotal.copy(), firstByteTotal.copy(), tokens.sum(), backends, peakOpenStreams.get(), elapsed);
        }
    }
}
