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
 * @param tokenLatency      delay between streamed tokens (and per token before a non-streamed answer)
 * @param completionTokens  how many tokens a chat answer has, at most {@code max_tokens}
 * @param defaultMaxTokens  the cost the quota charges for a request without {@code max_tokens}
 */
public record SimulatorOptions(
        int port,
        Map<String, Long> deployments,
        Optional<String> apiKey,
        Duration tokenLatency,
        int completionTokens,
        int defaultMaxTokens) {

    public SimulatorOptions {
        Objects.requireNonNull(deployments, "deployments");
        if (deployments.isEmpty()) {
            throw new IllegalArgumentException("a simulated account needs at least one deployment");
        }
        deployments = Map.copyOf(deployments);
        Objects.requireNonNull(apiKey, "apiKey");
        Objects.requireNonNull(tokenLatency, "tokenLatency");
        if (completionTokens < 1) {
            throw new IllegalArgumentException("completionTokens must be >= 1");
        }
    }

    /** A `chat` and an `embedding` deployment with 30K TPM each, no key, no latency. */
    public static SimulatorOptions defaults() {
        Map<String, Long> deployments = new LinkedHashMap<>();
        deployments.put("chat", 30_000L);
        deployments.put("embedding", 30_000L);
        return new SimulatorOptions(0, deployments, Optional.empty(), Duration.ZERO, 20, 4096);
    }

    public SimulatorOptions withPort(int value) {
        return new SimulatorOptions(value, deployments, apiKey, tokenLatency, completionTokens, defaultMaxTokens);
    }

    public SimulatorOptions withDeployments(Map<String, Long> value) {
        return new SimulatorOptions(port, value, apiKey, tokenLatency, completionTokens, defaultMaxTokens);
    }

    /** Every deployment gets this many tokens per minute. */
    public SimulatorOptions withTokensPerMinute(long value) {
        Map<String, Long> updated = new LinkedHashMap<>();
        deployments.keySet().forEach(name -> updated.put(name, value));
        return withDeployments(updated);
    }

    public SimulatorOptions withApiKey(String value) {
        return new SimulatorOptions(port, deployments, Optional.of(value), tokenLatency, completionTokens, defaultMaxTokens);
    }

    public SimulatorOptions withTokenLatency(Duration value) {
        return new SimulatorOptions(port, deployments, apiKey, value, completionTokens, defaultMaxTokens);
    }

    public SimulatorOptions withCompletionTokens(int value) {
        return new SimulatorOptions(port, deployments, apiKey, tokenLatency, value, defaultMaxTokens);
    }
}
