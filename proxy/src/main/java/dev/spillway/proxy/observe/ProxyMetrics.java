package dev.spillway.proxy.observe;

import dev.spillway.proxy.route.Endpoint;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything the proxy counts, exposed at {@code /metrics} in Prometheus text format. Names follow
 * Prometheus conventions; labels are bounded (backends come from configuration, deployments from
 * the cluster's known ones; a name no account has confirmed is labelled {@code other}).
 */
public final class ProxyMetrics {

    /** How a client request ended, from the client's side. */
    public enum RequestOutcome {
        /** answered by the first endpoint tried */
        SERVED,
        /** answered after at least one other endpoint failed or throttled */
        FAILED_OVER,
        /** every endpoint was throttled: the proxy answered 429 */
        BLOCKED,
        /** no endpoint could answer: the proxy answered 502/504, or passed the last 5xx through */
        FAILED,
        /** refused by the proxy itself: auth, size, bad input */
        REJECTED,
        /** about an object whose account is throttled: that account's 429, never another account */
        HOME_THROTTLED,
        /** about an object whose account failed or could not be reached: never sent to another account */
        HOME_UNAVAILABLE,
        /** its caller was over a token budget: 429 or 403 before any account was called */
        OVER_BUDGET
    }

    /** How the home of an object a request named was found. */
    public enum HomeLookupResult {
        /** remembered from the answer that created it, or from an earlier lookup */
        CACHED,
        /** not remembered: the accounts were asked, and one holds it */
        FOUND,
        /** not remembered, and every account said it has no such object */
        NOT_FOUND,
        /** not remembered, none said it holds it, and some could not be asked */
        UNREACHABLE,
        /** the request names objects that live in different accounts */
        CONFLICT
    }

    /** How one attempt at one endpoint ended. */
    public enum AttemptOutcome { SERVED, THROTTLED, FAILED }

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger openStreams = new AtomicInteger();
    private final Set<Endpoint> gauged = ConcurrentHashMap.newKeySet();
    // Each meter is looked up by its labels once; after that a request costs map lookups, not registry builders.
    private final Map<RequestKey, Counter> requests = new ConcurrentHashMap<>();
    private final Map<AttemptKey, Counter> attempts = new ConcurrentHashMap<>();
    private final Map<String, Timer> timesToFirstByte = new ConcurrentHashMap<>();
    private final Map<String, Timer> latencies = new ConcurrentHashMap<>();
    private final Map<TokenKey, Counter> tokenCounters = new ConcurrentHashMap<>();
    private final Map<String, Counter> refusals = new ConcurrentHashMap<>();
    private final Map<HomeLookupResult, Counter> homeLookups = new java.util.EnumMap<>(HomeLookupResult.class);
    private final Counter homesLearned;
    private final Map<String, Timer> waits = new ConcurrentHashMap<>();
    private final DistributionSummary attemptsPerRequest;

    private record RequestKey(String deployment, int status, RequestOutcome outcome) {}

    private record AttemptKey(String backend, String deployment, int status, AttemptOutcome outcome) {}

    private record TokenKey(String backend, String deployment, String type) {}

    public ProxyMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        Gauge.builder("spillway_in_flight_requests", inFlight, AtomicInteger::get)
                .description("Client requests being handled").register(registry);
        Gauge.builder("spillway_open_streams", openStreams, AtomicInteger::get)
                .description("Streaming (SSE) responses being relayed").register(registry);
        attemptsPerRequest = DistributionSummary.builder("spillway_request_attempts").description("Endpoints tried per client request")
                .serviceLevelObjectives(1, 2, 3, 4).register(registry);
        for (HomeLookupResult result : HomeLookupResult.values()) {
            homeLookups.put(result, Counter.builder("spillway_object_home_lookups").description(
                    "Requests naming an object in one account, by how its account was found")
                    .tag("result", name(result)).register(registry));
        }
        homesLearned = Counter.builder("spillway_object_homes_learned")
                .description("Objects whose account was learned from the answer that created them").register(registry);
    }

    /** Reports how many object homes are remembered, as a gauge. */
    public void watchObjectHomes(dev.spillway.proxy.state.ObjectHomes homes) {
        Gauge.builder("spillway_object_homes", homes, dev.spillway.proxy.state.ObjectHomes::size)
                .description("Objects whose account this proxy remembers").register(registry);
    }

    /** Reports whether the store replicas share answers (1) or this replica is on its own (0), as a gauge. */
    public void watchStateStore(java.util.function.BooleanSupplier up) {
        Gauge.builder("spillway_state_store_up", up, u -> u.getAsBoolean() ? 1 : 0).strongReference(true)
                .description("Whether the shared state store (SPILLWAY_STATE) answers; 0 while this replica counts on its own").register(registry);
    }

    /** Reports how many requests are held for a deployment, as a gauge. */
    public void watchQueue(String deployment, java.util.function.IntSupplier depth) {
        // Micrometer holds a gauge's object weakly; nothing else holds this supplier.
        Gauge.builder("spillway_queue_depth", depth, java.util.function.IntSupplier::getAsInt).strongReference(true)
                .description("Requests held for an account to have room").tag("deployment", deployment).register(registry);
    }

    /**
     * A held request was let go to an account ({@code released}), held as long as allowed and
     * answered 429 ({@code expired}), or refused a place ({@code queue_full}), after this long.
     */
    public void waited(String outcome, Duration waited) {
        waits.computeIfAbsent(outcome, key -> Timer.builder("spillway_queue_wait").description("Time requests were held for an account")
                .tag("outcome", key).publishPercentileHistogram().register(registry)).record(waited);
    }

    public void homeLookup(HomeLookupResult result) {
        homeLookups.get(result).increment();
    }

    public void homeLearned() {
        homesLearned.increment();
    }

    /** Tokens a named caller's requests used ({@code kind} prompt or completion), from the usage the accounts reported. */
    public Counter callerTokens(String caller, String kind) {
        return Counter.builder("spillway_caller_tokens").description("Tokens used by each named caller, from the usage the accounts reported")
                .tag("caller", caller).tag("kind", kind).register(registry);
    }

    /** Requests of a named caller refused by its budget ({@code limit} minute or quota). */
    public Counter callerRejections(String caller, String limit) {
        return Counter.builder("spillway_caller_rejections").description("Requests refused because their caller was over a token budget")
                .tag("caller", caller).tag("limit", limit).register(registry);
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    public void requestStarted() {
        inFlight.incrementAndGet();
    }

    public void requestEnded(String deployment, int status, RequestOutcome outcome, int attempts) {
        inFlight.decrementAndGet();
        requests.computeIfAbsent(new RequestKey(deployment, status, outcome), key -> Counter.builder("spillway_requests")
                .description("Client requests by how they ended")
                .tag("deployment", key.deployment()).tag("status", Integer.toString(key.status())).tag("outcome", name(key.outcome()))
                .register(registry)).increment();
        if (attempts > 0) {
            attemptsPerRequest.record(attempts);
        }
    }

    /** A request refused before any work, because the proxy is overloaded or shutting down. */
    public void requestRefused(String reason) {
        refusals.computeIfAbsent(reason, key -> Counter.builder("spillway_requests_refused")
                .description("Requests refused with 503 before any work").tag("reason", key).register(registry)).increment();
    }

    /**
     * An attempt's response headers arrived (or it failed) after this long.
     *
     * @param known whether the endpoint's deployment is known to the cluster; if not, it gets no gauges and the label {@code other}
     */
    public void attempted(Endpoint endpoint, boolean known, int status, AttemptOutcome outcome, Duration timeToHeaders) {
        if (known) {
            gauges(endpoint);
        }
        String backend = endpoint.backend().name();
        attempts.computeIfAbsent(new AttemptKey(backend, known ? endpoint.deployment() : "other", status, outcome),
                key -> Counter.builder("spillway_upstream_requests").description("Attempts sent to backends, by how they ended")
                        .tag("backend", key.backend()).tag("deployment", key.deployment())
                        .tag("status", key.status() == 0 ? "none" : Integer.toString(key.status())).tag("outcome", name(key.outcome()))
                        .register(registry)).increment();
        timesToFirstByte.computeIfAbsent(backend, key -> Timer.builder("spillway_upstream_time_to_first_byte")
                .description("From sending an attempt to its response headers")
                .tag("backend", key).publishPercentileHistogram().register(registry)).record(timeToHeaders);
    }

    /** A response relayed to the client ended, this long after the attempt was sent. */
    public void relayed(Endpoint endpoint, Duration total) {
        latencies.computeIfAbsent(endpoint.backend().name(), key -> Timer.builder("spillway_upstream_latency")
                .description("From sending an attempt to the end of its relayed response")
                .tag("backend", key).publishPercentileHistogram().register(registry)).record(total);
    }

    public void tokens(Endpoint endpoint, long promptTokens, long completionTokens) {
        tokenCounter(endpoint, "prompt").increment(promptTokens);
        tokenCounter(endpoint, "completion").increment(completionTokens);
    }

    public void streamOpened() {
        openStreams.incrementAndGet();
    }

    public void streamClosed() {
        openStreams.decrementAndGet();
    }

    private Counter tokenCounter(Endpoint endpoint, String type) {
        return tokenCounters.computeIfAbsent(new TokenKey(endpoint.backend().name(), endpoint.deployment(), type),
                key -> Counter.builder("spillway_tokens").description("Tokens used, from the usage the backends reported")
                        .tag("backend", key.backend()).tag("deployment", key.deployment()).tag("type", key.type())
                        .register(registry));
    }

    private void gauges(Endpoint endpoint) {
        if (!gauged.add(endpoint)) {
            return;
        }
        String backend = endpoint.backend().name();
        String deployment = endpoint.deployment();
        Gauge.builder("spillway_endpoint_remaining_tokens", endpoint, e -> e.quota().snapshot().remainingTokens())
                .description("Last x-ratelimit-remaining-tokens seen (-1: none yet)")
                .tag("backend", backend).tag("deployment", deployment).register(registry);
        Gauge.builder("spillway_endpoint_remaining_requests", endpoint, e -> e.quota().snapshot().remainingRequests())
                .description("Last x-ratelimit-remaining-requests seen (-1: none yet)")
                .tag("backend", backend).tag("deployment", deployment).register(registry);
        Gauge.builder("spillway_endpoint_blocked_until_timestamp_seconds", endpoint, e -> e.throttledUntilMillis() / 1000.0)
                .description("When a 429 block on this endpoint ends (Unix time; in the past: not blocked)")
                .tag("backend", backend).tag("deployment", deployment).register(registry);
        Gauge.builder("spillway_endpoint_in_flight", endpoint, Endpoint::inFlight)
                .description("Attempts in flight to this endpoint")
                .tag("backend", backend).tag("deployment", deployment).register(registry);
    }

    private static String name(Enum<?> value) {
        return value.name().toLowerCase(java.util.Locale.ROOT);
    }
}
