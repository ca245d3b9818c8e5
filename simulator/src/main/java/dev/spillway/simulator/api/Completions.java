package dev.spillway.simulator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Builds response bodies shaped like Azure OpenAI's chat completion and embedding answers. */
public final class Completions {

    private static final String[] WORDS = {
        "Spillway", "keeps", "the", "chat", "answering", "when", "one", "account", "runs", "dry", "of", "quota,",
        "moving", "each", "request", "to", "another", "account", "at", "once."
    };

    private final ObjectMapper json;
    private final AtomicLong ids = new AtomicLong();

    public Completions(ObjectMapper json) {
        this.json = json;
    }

    /** The tokens of an answer, one word each. */
    public List<String> answerTokens(int count) {
        List<String> tokens = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            tokens.add((i == 0 ? "" : " ") + WORDS[i % WORDS.length]);
        }
        return tokens;
    }

    public ObjectNode chatCompletion(String model, List<String> tokens, long promptTokens) {
        ObjectNode body = envelope("chat.completion", model);
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", String.join("", tokens));
        choice.put("finish_reason", "stop");
        choice.putObject("content_filter_results");
        body.set("usage", usage(promptTokens, tokens.size()));
        return body;
    }

    /** The SSE events of a streamed answer, without the final {@code [DONE]} marker. */
    public List<ObjectNode> chatCompletionChunks(String model, List<String> tokens, long promptTokens, boolean includeUsage) {
        String id = "chatcmpl-sim-" + ids.incrementAndGet();
        List<ObjectNode> chunks = new ArrayList<>();
        chunks.add(chunk(id, model, json.createObjectNode().put("role", "assistant").put("content", ""), null, includeUsage));
        for (String token : tokens) {
            chunks.add(chunk(id, model, json.createObjectNode().put("content", token), null, includeUsage));
        }
        chunks.add(chunk(id, model, json.createObjectNode(), "stop", includeUsage));
        if (includeUsage) {
            ObjectNode last = chunkEnvelope(id, model);
            last.putArray("choices");
            last.set("usage", usage(promptTokens, tokens.size()));
            chunks.add(last);
        }
        return chunks;
    }

    /**
     * The same stream as Azure sends it with its content filter on: a first chunk with
     * {@code prompt_filter_results} and empty {@code choices}, {@code content_filter_results} on
     * every content chunk, and, from the asynchronous filter, an annotation chunk after the stop
     * chunk and after the usage chunk (learn.microsoft.com, Azure OpenAI "Content filtering":
     * streaming, asynchronous filter).
     */
    public List<ObjectNode> annotatedChatCompletionChunks(String model, List<String> tokens, long promptTokens, boolean includeUsage) {
        List<ObjectNode> plain = chatCompletionChunks(model, tokens, promptTokens, includeUsage);
        String id = plain.get(0).path("id").asText();
        List<ObjectNode> chunks = new ArrayList<>();
        ObjectNode promptFilter = json.createObjectNode();
        promptFilter.put("id", "").put("object", "").put("created", 0).put("model", "");
        promptFilter.putArray("choices");
        ObjectNode result = promptFilter.putArray("prompt_filter_results").addObject();
        result.put("prompt_index", 0);
        safe(result.putObject("content_filter_results"));
        chunks.add(promptFilter);
        for (ObjectNode chunk : plain) {
            JsonNode choices = chunk.path("choices");
            if (choices.size() > 0 && choices.get(0).path("delta").has("content") && !choices.get(0).path("delta").path("content").asText().isEmpty()) {
                safe(((ObjectNode) choices.get(0)).putObject("content_filter_results"));
            }
            chunks.add(chunk);
        }
        ObjectNode annotation = chunkEnvelope(id, model);
        ObjectNode choice = annotation.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putNull("finish_reason");
        choice.putObject("content_filter_offsets").put("check_offset", 0).put("start_offset", 0).put("end_offset", tokens.size());
        safe(choice.putObject("content_filter_results"));
        if (includeUsage) {
            // With include_usage every chunk but the usage chunk carries "usage": null, this late one too.
            annotation.putNull("usage");
        }
        chunks.add(annotation);
        return chunks;
    }

    private static void safe(ObjectNode results) {
        for (String category : new String[] {"hate", "self_harm", "sexual", "violence"}) {
            results.putObject(category).put("filtered", false).put("severity", "safe");
        }
    }

    public ObjectNode embeddings(String model, int inputs, long promptTokens) {
        ObjectNode body = json.createObjectNode();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        for (int i = 0; i < inputs; i++) {
            ObjectNode item = data.addObject();
            item.put("object", "embedding");
            item.put("index", i);
            ArrayNode vector = item.putArray("embedding");
            for (int d = 0; d < 8; d++) {
                vector.add(Math.sin(i + d) / 2);
            }
        }
        body.put("model", model);
        body.putObject("usage").put("prompt_tokens", promptTokens).put("total_tokens", promptTokens);
        return body;
    }

    private ObjectNode chunk(String id, String model, ObjectNode delta, String finishReason, boolean includeUsage) {
        ObjectNode chunk = chunkEnvelope(id, model);
        ObjectNode choice = chunk.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        if (includeUsage) {
            chunk.putNull("usage");
        }
        return chunk;
    }

    private ObjectNode chunkEnvelope(String id, String model) {
        ObjectNode chunk = json.createObjectNode();
        chunk.put("id", id);
        chunk.put("object", "chat.completion.chunk");
        chunk.put("created", System.currentTimeMillis() / 1000);
        chunk.put("model", model);
        return chunk;
    }

    private ObjectNode envelope(String object, String model) {
        ObjectNode body = json.createObjectNode();
        body.put("id", "chatcmpl-sim-" + ids.incrementAndGet());
        body.put("object", object);
        body.put("created", System.currentTimeMillis() / 1000);
        body.put("model", model);
        return body;
    }

    private ObjectNode usage(long promptTokens, long completionTokens) {
        return json.createObjectNode()
                .put("prompt_tokens", promptTokens)
                .put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
    }
}
