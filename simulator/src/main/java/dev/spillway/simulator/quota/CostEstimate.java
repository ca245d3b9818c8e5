package dev.spillway.simulator.quota;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The token cost the service charges at admission: prompt size in characters / 4 plus
 * {@code max_tokens}, or a large default when the request sets none.
 */
public final class CostEstimate {

    private final int defaultMaxTokens;

    public CostEstimate(int defaultMaxTokens) {
        this.defaultMaxTokens = defaultMaxTokens;
    }

    public long promptTokens(JsonNode request) {
        long chars = 0;
        JsonNode messages = request.path("messages");
        for (JsonNode message : messages) {
            chars += textLength(message.path("content"));
        }
        chars += textLength(request.path("input"));
        chars += textLength(request.path("prompt"));
        return Math.max(1, chars / 4);
    }

    public long maxTokens(JsonNode request) {
        JsonNode max = request.has("max_completion_tokens") ? request.get("max_completion_tokens") : request.get("max_tokens");
        return max != null && max.canConvertToLong() && max.asLong() > 0 ? max.asLong() : defaultMaxTokens;
    }

    public long chatCost(JsonNode request) {
        return promptTokens(request) + maxTokens(request);
    }

    public long embeddingCost(JsonNode request) {
        return promptTokens(request);
    }

    private static long textLength(JsonNode node) {
        if (node.isTextual()) {
            return node.asText().length();
        }
        long length = 0;
        if (node.isArray()) {
            for (JsonNode part : node) {
                length += part.isTextual() ? part.asText().length() : textLength(part.path("text"));
            }
        }
        return length;
    }
}
