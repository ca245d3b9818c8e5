package dev.spillway.bench;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * What load to offer.
 *
 * @param target        full URL of the call, such as {@code http://localhost:8080/openai/deployments/chat/chat/completions?api-version=2024-10-21}
 * @param body          the JSON body sent with every request
 * @param headers       added to every request (the credential, for instance)
 * @param stream        whether responses are SSE streams (time to first byte is then measured to the first event)
 * @param ratePerSecond open loop: requests started per second, whatever the answers; 0 for closed loop
 * @param concurrency   closed loop: requests kept in flight; each starts when the previous ends
 * @param duration      how long to offer load
 */
public record LoadSpec(URI target, String body, Map<String, String> headers, boolean stream,
                       double ratePerSecond, int concurrency, Duration duration) {

    public LoadSpec {
        headers = Map.copyOf(headers);
        if (ratePerSecond <= 0 && concurrency <= 0) {
            throw new IllegalArgumentException("give a rate (requests/s) or a concurrency");
        }
    }

    /** A chat request of about {@code promptChars / 4 + maxTokens} tokens, as the service estimates it. */
    /** @param maxTokens 0 or less leaves {@code max_tokens} out, as many chat apps do */
    public static String chatBody(String model, int promptChars, int maxTokens, boolean stream) {
        StringBuilder prompt = new StringBuilder(promptChars);
        String words = "Tell me how a spillway keeps a dam safe when the reservoir is full. ";
        while (prompt.length() < promptChars) {
            prompt.append(words, 0, Math.min(words.length(), promptChars - prompt.length()));
        }
        return "{" + (model == null ? "" : "\"model\":\"" + model + "\",")
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]"
                + (maxTokens > 0 ? ",\"max_tokens\":" + maxTokens : "")
                + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "") + "}";
    }
}
