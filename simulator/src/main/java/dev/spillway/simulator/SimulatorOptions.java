package dev.spillway.simulator;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How a simulated account is set up.
 *
 * @param port              0 for an ephemeral port
 * @param deployments       deployment name to its tokens per minute
 * @param apiKey            when present, callers must send it as {@code api-key} or {@code Authorization: Bearer}
 * @param firstByteLatency  time before an answer starts (the service's queueing and prompt processing)
 * @param tokenLatency      delay between streamed tokens (and per token before a non-streamed answer)
 * @param completionTokens  how many tokens a chat answer has, at most {@code max_tokens}
 * @param defaultMaxTokens  the completion tokens the quota charges for a request without {@code max_tokens}
 * @param headerJitter      relative noise on the reported {@code x-ratelimit-remaining-*} values (0.05 = ±5%)
 * @param seed              seeds the jitter, so a run can be repeated
 */
public record SimulatorOptions(
        int port,
        Map<String, Long> deployments,
        Optional<String> apiKey,
        Duration firstByteLatency,
        Duration tokenLatency,
        int completionTokens,
        int defaultMaxTokens,
        double headerJitter,
        long seed) {

    /**
     * The admission charge for a request without {@code max_tokens} on a gpt-4o-class model: the
     * service does not charge the whole context; measured on real deployments it is about 648 tokens
     * (16 for gpt-35-turbo).
     */
    public static final int GPT4O_CLASS_DEFAULT_MAX_TOKENS = 648;

    public SimulatorOptions {
        Objects.requireNonNull(deployments, "deployments");
        if (deployments.isEmpty()) {
            throw new IllegalArgumentException("a simulated account needs at least one deployment");
        }
        deployments = Map.copyOf(deployments);
        Objects.requireNonNull(apiKey, "apiKey");
        Objects.requireNonNull(firstByteLatency, "firstByteLatency");
        Objects.requireNonNull(tokenLatency, "tokenLatency");
        if (completionTokens < 1) {
            throw new IllegalArgumentException("completionTokens must be >= 1");
        }
        if (defaultMaxTokens < 1) {
            throw new IllegalArgumentException("defaultMaxTokens must be >= 1");
        }
        if (!(headerJitter >= 0 && headerJitter < 1)) {
            throw new IllegalArgumentException("headerJitter must be in [0, 1)");
        }
    }

    /**
     * An account for tests of the proxy's own mechanics: Azure's quota rules (sliding windows,
     * refusals counted, the service's admission estimate) but answers at once and exact headers,
     * so a test's timing is its own. A `chat` and an `embedding` deployment with 30K TPM each.
     */
    public static SimulatorOptions defaults() {
        Map<String, Long> deployments = new LinkedHashMap<>();
        deployments.put("chat", 30_000L);
        deployments.put("embedding", 30_000L);
        return new SimulatorOptions(0, deployments, Optional.empty(), Duration.ZERO, Duration.ZERO, 20,
                GPT4O_CLASS_DEFAULT_MAX_TOKENS, 0, 1);
    }

    /**
     * An account that also answers as slowly and reports as loosely as Azure does: a few hundred
     * milliseconds before the first byte, then per-token time (gpt-4o-mini class streams at roughly
     * 60-80 tokens a second), and remaining-quota headers that are approximate (enforcement is
     * distributed; the headers are estimates). What scripts/local and the benchmarks run.
     */
    public static SimulatorOptions azure() {
        return defaults().withFirstByteLatency(Duration.ofMillis(300)).withTokenLatency(Duration.ofMillis(15))
                .withHeaderJitter(0.03);
    }

    public SimulatorOptions withPort(int value) {
        return new SimulatorOptions(value, deployments, apiKey, firstByteLatency, tokenLatency, completionTokens, defaultMaxTokens,
                headerJitter, seed);
    }

    public SimulatorOptions withDeployments(Map<String, Long> value) {
        return new SimulatorOptions(port, value, apiKey, firstByteLatency, tokenLatency, completionTokens, defaultMaxTokens,
                headerJitter, seed);
    }

    /** Every deployment gets this many tokens per minute. */
    public SimulatorOptions withTokensPerMinute(long value) {
        Map<String, Long> updated = new LinkedHashMap<>();
        deployments.keySet().forEach(name -> updated.put(name, value));
        return withDeployments(updated);
    }

    public SimulatorOptions withApiKey(String value) {
        return new SimulatorOptions(port, deployments, Optional.of(value), firstByteLatency, tokenLatency, completionTokens,
                defaultMaxTokens, headerJitter, seed);
    }

    public SimulatorOptions withFirstByteLatency(Duration value) {
        return new SimulatorOptions(port, deployments, apiKey, value, tokenLatency, completionTokens, defaultMaxTokens,
                headerJitter, seed);
    }

    public SimulatorOptions withTokenLatency(Duration value) {
        return new SimulatorOptions(port, deployments, apiKey, firstByteLatency, value, completionTokens, defaultMaxTokens,
                headerJitter, seed);
    }

    public SimulatorOptions withCompletionTokens(int value) {
        return new SimulatorOptions(port, deployments, apiKey, firstByteLatency, tokenLatency, value, defaultMaxTokens,
                headerJitter, seed);
    }

    public SimulatorOptions withDefaultMaxTokens(int value) {
        return new SimulatorOptions(port, deployments, apiKey, firstByteLatency, tokenLatency, completionTokens, value,
                headerJitter, seed);
    }

    public SimulatorOptions withHeaderJitter(double value) {
        return new SimulatorOptions(port, deployments, apiKey, firstByteLatency, tokenLatency, completionTokens, defaultMaxTokens,
                value, seed);
    }

    public SimulatorOptions withSeed(long value) {
        return new SimulatorOptions(port, deployments, apiKey, firstByteLatency, tokenLatency, completionTokens, defaultMaxTokens,
                headerJitter, value);
    }
}
