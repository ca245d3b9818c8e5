package dev.spillway.proxy.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Locale;

/**
 * Reads what routing needs from a request: which deployment it is for (throttling is per
 * deployment) and what it will cost against quota. The deployment is the path segment after
 * {@code /openai/deployments/}, or for {@code /openai/v1/**} the {@code model} field of the JSON
 * body; calls that name none (listing models, say) get the empty name. The cost is the service's
 * own admission estimate: prompt characters / 4 plus {@code max_tokens} (or a large default).
 * The body is read in one streaming pass, without building a tree.
 */
final class RequestInspector {

    /** What the service assumes a completion may use when the request sets no limit. */
    static final long DEFAULT_MAX_TOKENS = 4096;
    private final JsonFactory json = new JsonFactory();

    /** @param deployment empty when the request names none; {@code estimatedTokens} at least 1 */
    record RequestFacts(String deployment, long estimatedTokens) {}

    /**
     * @param path the validated path; the deployment is its decoded segment, the same one that is
     *             forwarded, so routing and quota can never disagree with the backend about it
     */
    RequestFacts inspect(CanonicalPath path, String contentType, byte[] body) throws BadRequestException {
        java.util.List<String> segments = path.segments();
        boolean v1 = segments.size() > 2 && segments.get(0).equals("openai") && segments.get(1).equals("v1");
        boolean json = body.length > 0 && isJson(contentType, body);
        BodyFacts facts = json ? read(body, v1) : new BodyFacts(null, body.length, -1, false);
        long estimate = Math.max(1, facts.promptChars / 4 + (facts.completion ? (facts.maxTokens > 0 ? facts.maxTokens : DEFAULT_MAX_TOKENS) : 0));
        if (segments.size() > 2 && segments.get(0).equals("openai") && segments.get(1).equals("deployments")) {
            return new RequestFacts(segments.get(2), estimate);
        }
        if (v1 && json) {
            if (facts.model == null || facts.model.isBlank()) {
                throw new BadRequestException(400, "missing_model", "A request to /openai/v1/ needs a \"model\" field "
                        + "in its JSON body naming the deployment, such as {\"model\": \"chat\", ...}.");
            }
            return new RequestFacts(facts.model, estimate);
        }
        return new RequestFacts("", estimate);
    }

    /**
     * @param completion whether the request generates tokens (it has messages or a prompt), so that
     *                   {@code max_tokens} counts
     */
    private record BodyFacts(String model, long promptChars, long maxTokens, boolean completion) {}

    private BodyFacts read(byte[] body, boolean strict) throws BadRequestException {
        String model = null;
        long promptChars = 0;
        long maxTokens = -1;
        boolean completion = false;
        try (JsonParser parser = json.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (field) {
                    case "model" -> model = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    case "max_tokens", "max_completion_tokens" -> {
                        if (value == JsonToken.VALUE_NUMBER_INT) {
                            maxTokens = parser.getLongValue();
                        }
                    }
                    case "messages", "prompt" -> {
                        completion = true;
                        promptChars += textLength(parser, value);
                    }
                    case "input" -> promptChars += textLength(parser, value);
                    default -> parser.skipChildren();
                }
            }
            return new BodyFacts(model, promptChars, maxTokens, completion);
        } catch (IOException e) {
            if (strict) {
                throw invalidJson();
            }
            // A deployment-path call names its target in the path; a broken body is the backend's to refuse.
            return new BodyFacts(null, body.length, -1, false);
        }
    }

    /** Characters of every string inside the current value, which the parser is positioned on. */
    private static long textLength(JsonParser parser, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_STRING) {
            return parser.getTextLength();
        }
        if (value != JsonToken.START_ARRAY && value != JsonToken.START_OBJECT) {
            return 0;
        }
        long chars = 0;
        int depth = 1;
        while (depth > 0) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                throw new IOException("unexpected end of JSON");
            }
            switch (token) {
                case START_ARRAY, START_OBJECT -> depth++;
                case END_ARRAY, END_OBJECT -> depth--;
                case VALUE_STRING -> chars += parser.getTextLength();
                default -> { }
            }
        }
        return chars;
    }

    /** By its content type, or by its first character, since some clients send JSON with a form content type. */
    private static boolean isJson(String contentType, byte[] body) {
        if (contentType != null && contentType.toLowerCase(Locale.ROOT).contains("json")) {
            return true;
        }
        for (byte b : body) {
            if (!Character.isWhitespace(b)) {
                return b == '{';
            }
        }
        return false;
    }

    private static BadRequestException invalidJson() {
        return new BadRequestException(400, "invalid_json", "The request body is not a valid JSON object. "
                + "Send a JSON object with a \"model\" field naming the deployment.");
    }
}
