package dev.spillway.proxy.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.spillway.proxy.route.ObjectKind;
import dev.spillway.proxy.route.ObjectRef;
import dev.spillway.proxy.route.ReplayPolicy;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads what routing needs from a request: which deployment it is for (throttling is per
 * deployment), what it will cost against quota, and which objects living in one account its body
 * names. The deployment is the path segment after {@code /openai/deployments/}, or for a model
 * call under {@code /openai/v1/} the {@code model} field of the JSON body or of the multipart form;
 * calls that name none (uploading a file, listing models) get the empty name. The cost is the
 * service's own admission estimate: prompt characters / 4 plus {@code max_tokens} (or a large
 * default). A JSON body is read in one streaming pass, without building a tree.
 */
final class RequestInspector {

    /** What the service assumes a completion may use when the request sets no limit. */
    static final long DEFAULT_MAX_TOKENS = 4096;
    /** More than any model generates; a larger {@code max_tokens} counts as this. */
    static final long MOST_MAX_TOKENS = 1_000_000_000_000L;
    /** A body may name many files; the first few decide where it goes, so a hostile list cannot cost more. */
    static final int MAX_REFS = 16;
    /**
     * Body fields, at any depth, that name an object in the account (OpenAI API reference: Responses
     * {@code previous_response_id}, {@code conversation} (an id or {@code {"id": ...}}), {@code input_file}
     * items' {@code file_id}, {@code file_search} tools' {@code vector_store_ids}; batches' {@code input_file_id};
     * fine-tuning's {@code training_file}/{@code validation_file}; assistants' {@code assistant_id}, {@code file_ids}).
     */
    private static final Map<String, ObjectKind> REF_FIELDS = Map.of(
            "previous_response_id", ObjectKind.RESPONSE,
            "conversation", ObjectKind.CONVERSATION,
            "input_file_id", ObjectKind.FILE,
            "file_id", ObjectKind.FILE,
            "file_ids", ObjectKind.FILE,
            "training_file", ObjectKind.FILE,
            "validation_file", ObjectKind.FILE,
            "vector_store_ids", ObjectKind.VECTOR_STORE,
            "assistant_id", ObjectKind.ASSISTANT);

    /**
     * What the services' ids look like ({@code resp_…}, {@code file-…}, {@code vs_…}, {@code assistant-…}):
     * anything else cannot name an object, and is left for the account to refuse rather than looked up.
     */
    private static final Pattern OBJECT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,255}");
    /**
     * Where clients put names of their own (metadata maps, function and JSON schemas): a key there
     * that happens to be called {@code file_id} or {@code conversation} names nothing in the account.
     */
    private static final Set<String> CLIENT_DEFINED = Set.of("metadata", "parameters", "schema", "json_schema", "properties",
            "input_schema", "response_format", "format", "arguments", "user", "prompt_cache_key");

    private final JsonFactory json = new JsonFactory();
    private final MultipartModel multipart = new MultipartModel();

    /**
     * @param deployment empty when the request names none; {@code estimatedTokens} at least 1
     * @param bodyRefs   objects the body names, in the order they appear
     */
    record RequestFacts(String deployment, long estimatedTokens, List<ObjectRef> bodyRefs, Streaming streaming) {}

    /**
     * Whether the JSON body asks for a stream ({@code "stream": true}), and for the usage chunk at its
     * end ({@code "stream_options": {"include_usage": true}}); {@code hasOptions}: it has a
     * {@code stream_options} field at all.
     */
    record Streaming(boolean streams, boolean asksUsage, boolean hasOptions) {
        static final Streaming NONE = new Streaming(false, false, false);
    }

    /**
     * @param path the validated path; the deployment is its decoded segment, the same one that is
     *             forwarded, so routing and quota can never disagree with the backend about it
     */
    RequestFacts inspect(CanonicalPath path, String contentType, byte[] body) throws BadRequestException {
        List<String> segments = path.segments();
        boolean v1 = segments.size() > 2 && segments.get(0).equals("openai") && segments.get(1).equals("v1");
        boolean modelCall = ReplayPolicy.isModelCall(segments);
        // A Responses call generates from its input as a chat completion does from its messages.
        boolean generates = segments.get(segments.size() - 1).equals("responses");
        boolean isJson = body.length > 0 && isJson(contentType, body);
        BodyFacts facts = isJson ? read(body, v1) : new BodyFacts(null, body.length, -1, false, List.of(), Streaming.NONE);
        long maxTokens = facts.maxTokens > 0 ? facts.maxTokens : DEFAULT_MAX_TOKENS;
        long estimate = Math.max(1, facts.promptChars / 4 + (facts.completion || generates ? maxTokens : 0));
        if (segments.size() > 2 && segments.get(0).equals("openai") && segments.get(1).equals("deployments")) {
            return new RequestFacts(segments.get(2), estimate, facts.refs, facts.streaming);
        }
        if (!v1 || !modelCall) {
            return new RequestFacts("", estimate, facts.refs, facts.streaming);
        }
        String model = isJson ? facts.model : multipart.model(contentType, body);
        if (model == null || model.isBlank()) {
            throw new BadRequestException(400, "missing_model", isJson || body.length == 0
                    ? "A model call under /openai/v1/ needs a \"model\" field in its JSON body naming the deployment, "
                            + "such as {\"model\": \"chat\", ...}."
                    : "A model call under /openai/v1/ needs a \"model\" field naming the deployment: in a multipart "
                            + "form, a part named \"model\"; otherwise a JSON body with \"model\".");
        }
        return new RequestFacts(model, estimate, facts.refs, facts.streaming);
    }

    /**
     * @param completion whether the request generates tokens (it has messages or a prompt), so that
     *                   {@code max_tokens} counts
     */
    private record BodyFacts(String model, long promptChars, long maxTokens, boolean completion, List<ObjectRef> refs, Streaming streaming) {}

    private BodyFacts read(byte[] body, boolean strict) throws BadRequestException {
        String model = null;
        long promptChars = 0;
        long maxTokens = -1;
        boolean completion = false;
        boolean streams = false;
        boolean asksUsage = false;
        boolean hasStreamOptions = false;
        List<ObjectRef> refs = new ArrayList<>(0);
        try (JsonParser parser = json.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (field) {
                    case "model" -> model = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    case "max_tokens", "max_completion_tokens", "max_output_tokens" -> {
                        if (value == JsonToken.VALUE_NUMBER_INT) {
                            // Past a long, or absurd: as large as the estimate goes, so no sum overflows.
                            maxTokens = parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? MOST_MAX_TOKENS
                                    : Math.min(parser.getLongValue(), MOST_MAX_TOKENS);
                        }
                    }
                    case "messages", "prompt" -> {
                        completion = true;
                        promptChars += walk(parser, value, refs);
                    }
                    case "input", "instructions" -> promptChars += walk(parser, value, refs);
                    case "stream" -> streams = value == JsonToken.VALUE_TRUE;
                    case "stream_options" -> {
                        hasStreamOptions = true;
                        if (value == JsonToken.START_OBJECT) {
                            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                                boolean includeUsage = parser.currentName().equals("include_usage");
                                JsonToken option = parser.nextToken();
                                if (includeUsage) {
                                    asksUsage = option == JsonToken.VALUE_TRUE;
                                }
                                parser.skipChildren();
                            }
                        } else {
                            parser.skipChildren();
                        }
                    }
                    default -> {
                        ObjectKind kind = REF_FIELDS.get(field);
                        if (kind != null) {
                            collect(parser, value, kind, refs);
                        } else if (CLIENT_DEFINED.contains(field)) {
                            parser.skipChildren();
                        } else {
                            walk(parser, value, refs);
                        }
                    }
                }
            }
            return new BodyFacts(model, promptChars, maxTokens, completion, List.copyOf(refs), new Streaming(streams, asksUsage, hasStreamOptions));
        } catch (IOException e) {
            if (strict) {
                throw invalidJson();
            }
            // A deployment-path call names its target in the path; a broken body is the backend's to refuse.
            return new BodyFacts(null, body.length, -1, false, List.of(), Streaming.NONE);
        }
    }

    /**
     * Walks the current value, which the parser is positioned on, to its end: returns the characters
     * of every string inside it, and collects the objects named by fields within it into {@code refs}
     * (none when null).
     */
    private static long walk(JsonParser parser, JsonToken value, List<ObjectRef> refs) throws IOException {
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
                case FIELD_NAME -> {
                    if (refs == null) {
                        continue;
                    }
                    String name = parser.currentName();
                    ObjectKind kind = REF_FIELDS.get(name);
                    if (kind != null) {
                        chars += collect(parser, parser.nextToken(), kind, refs);
                    } else if (CLIENT_DEFINED.contains(name)) {
                        JsonToken inner = parser.nextToken();
                        // A schema's text still reaches the model, so it still counts toward the prompt's size.
                        chars += walk(parser, inner, null);
                    }
                }
                default -> { }
            }
        }
        return chars;
    }

    /** A reference field's value: an id, a list of ids, or an object with an {@code id} (a Responses conversation). */
    private static long collect(JsonParser parser, JsonToken value, ObjectKind kind, List<ObjectRef> refs) throws IOException {
        if (value == JsonToken.VALUE_STRING) {
            add(refs, kind, parser.getText());
            return parser.getTextLength();
        }
        if (value == JsonToken.START_ARRAY) {
            long chars = 0;
            JsonToken token;
            while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
                if (token == null) {
                    throw new IOException("unexpected end of JSON");
                }
                if (token == JsonToken.VALUE_STRING) {
                    add(refs, kind, parser.getText());
                    chars += parser.getTextLength();
                } else {
                    chars += walk(parser, token, refs);
                }
            }
            return chars;
        }
        if (value == JsonToken.START_OBJECT) {
            long chars = 0;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                boolean id = parser.currentName().equals("id");
                JsonToken inner = parser.nextToken();
                if (id && inner == JsonToken.VALUE_STRING) {
                    add(refs, kind, parser.getText());
                    chars += parser.getTextLength();
                } else {
                    chars += walk(parser, inner, refs);
                }
            }
            return chars;
        }
        return 0;
    }

    private static void add(List<ObjectRef> refs, ObjectKind kind, String id) {
        if (OBJECT_ID.matcher(id).matches() && refs.size() < MAX_REFS) {
            ObjectRef ref = new ObjectRef(kind, id);
            if (!refs.contains(ref)) {
                refs.add(ref);
            }
        }
    }

    /** By its content type, or by its first character, since some clients send JSON with a form content type. */
    private static boolean isJson(String contentType, byte[] body) {
        if (contentType != null && contentType.toLowerCase(Locale.ROOT).contains("json")) {
            return true;
        }
        if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("multipart/")) {
            return false;
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
