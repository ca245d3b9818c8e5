package dev.spillway.proxy.route;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * When a request may be sent to another account after an attempt that may have reached the
 * backend (a timeout, a break once sent, a 5xx). Model calls hold no state at the account, only
 * spend tokens, so replaying them is the proxy's whole point; reads are safe to repeat. Anything
 * else creates or changes an object (an upload, a batch, a fine-tuning job, a vector store, a
 * delete): sent twice, it is done twice. Those are replayed only when the attempt provably never
 * left the proxy (no connection, no credential), or when the account refused it outright (429,
 * 401/403), which means it did nothing.
 *
 * @param replayAfterSent whether the request may be replayed after an attempt that may have reached the backend
 */
public record ReplayPolicy(boolean replayAfterSent) {

    /** Operations that generate from a model, after {@code deployments/<name>/}, {@code v1/} or {@code openai/}. */
    private static final Set<String> MODEL_CALLS = Set.of(
            "chat/completions", "completions", "embeddings", "extensions/chat/completions",
            "audio/transcriptions", "audio/translations", "audio/speech",
            "images/generations", "images/edits", "images/variations",
            "responses");
    private static final Set<String> READS = Set.of("GET", "HEAD", "OPTIONS");

    public static final ReplayPolicy MODEL_CALL = new ReplayPolicy(true);
    public static final ReplayPolicy OBJECT_CHANGE = new ReplayPolicy(false);

    /** @param segments the request's decoded path segments, starting with {@code openai} */
    public static ReplayPolicy of(String method, List<String> segments) {
        if (READS.contains(method.toUpperCase(Locale.ROOT))) {
            return MODEL_CALL;
        }
        return "POST".equalsIgnoreCase(method) && isModelCall(segments) ? MODEL_CALL : OBJECT_CHANGE;
    }

    /** Whether the path is an operation that generates from a model (and so names a deployment). */
    public static boolean isModelCall(List<String> segments) {
        String operation = operation(segments);
        return operation != null && MODEL_CALLS.contains(operation);
    }

    /**
     * What the path asks of a deployment or of the v1 API, such as {@code chat/completions}: the
     * segments after {@code /openai/deployments/{name}/}, {@code /openai/v1/} or {@code /openai/};
     * null when there are none.
     */
    public static String operation(List<String> segments) {
        if (segments.size() < 2) {
            return null;
        }
        int operationStart = switch (segments.get(1)) {
            case "deployments" -> 3;
            case "v1" -> 2;
            default -> 1;
        };
        if (segments.size() <= operationStart) {
            return null;
        }
        return String.join("/", segments.subList(operationStart, segments.size()));
    }
}
