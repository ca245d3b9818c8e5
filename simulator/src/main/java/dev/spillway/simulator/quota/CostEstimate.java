package dev.spillway.simulator.quota;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The token cost the service charges at admission, before it has run the model: an estimate of
 * the prompt's tokens plus the completion tokens the request may use, times the completions it
 * asks for ({@code n}, {@code best_of}); with no {@code max_tokens} a model-dependent default
 * (learn.microsoft.com, Azure OpenAI "Quota management": "the estimated max processed-token count
 * ... prompt text and count, the max_tokens parameter setting, and the best_of parameter setting").
 * The prompt estimate counts about four characters a token plus the chat format's overhead per
 * message (OpenAI cookbook, "How to count tokens with tiktoken": 3 tokens per message and 3 to
 * prime the reply), so it is not the proxy's own formula.
 */
public final class CostEstimate {

    private static final int TOKENS_PER_MESSAGE = 3;
    private static final int REPLY_PRIMING = 3;

    private final int defaultMaxTokens;

    public CostEstimate(int defaultMaxTokens) {
        this.defaultMaxTokens = defaultMaxTokens;
    }

    /** What the usage reports as prompt tokens: about four characters a token. */
    public long promptTokens(JsonNode request) {
        long chars = 0;
        JsonNode messages = request.path("messages");
        for (JsonNode message : messages) {
            chars += textLength(message.path("content"));
        }
        chars += textLength(request.path("input"));
        chars += textLength(request.path("prompt"));
        chars += textLength(request.path("instructions"));
        return Math.max(1, chars / 4);
    }

    /** The completion tokens a request allows: {@code max_completion_tokens}, {@code max_tokens} or (Responses) {@code max_output_tokens}. */
    public long maxTokens(JsonNode request) {
        JsonNode max = request.has("max_completion_tokens") ? request.get("max_completion_tokens")
                : request.has("max_output_tokens") ? request.get("max_output_tokens") : request.get("max_tokens");
        return max != null && max.canConvertToLong() && max.asLong() > 0 ? max.asLong() : defaultMaxTokens;
    }

    public long chatCost(JsonNode request) {
        long prompt = promptTokens(request) + (long) TOKENS_PER_MESSAGE * request.path("messages").size() + REPLY_PRIMING;
        return prompt + maxTokens(request) * completions(request);
    }

    /**
     * A Responses call: its input (and instructions) at four characters a token plus the output it
     * may use, as a chat completion is charged, without the chat format's per-message overhead,
     * which the Responses input has no fixed shape for.
     */
    public long responseCost(JsonNode request) {
        return promptTokens(request) + maxTokens(request);
    }

    public long embeddingCost(JsonNode request) {
        return promptTokens(request);
    }

    private static long completions(JsonNode request) {
        long n = request.path("n").canConvertToLong() ? Math.max(1, request.path("n").asLong()) : 1;
        long bestOf = request.path("best_of").canConvertToLong() ? Math.max(1, request.path("best_of").asLong()) : 1;
        return Math.max(n, bestOf);
    }

    private static long textLength(JsonNode node) {
        if (node.isTextual()) {
            return node.asText().length();
        }
        long length = 0;
        if (node.isArray()) {
            for (JsonNode part : node) {
                // A chat content part has "text"; a Responses input item has "content", a string or parts.
                length += part.isTextual() ? part.asText().length() : textLength(part.path("text")) + textLength(part.path("content"));
            }
        }
        return length;
    }
}
