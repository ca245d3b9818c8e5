package dev.spillway.simulator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The JSON of the Responses API: the response object, its output message, the events of its
 * stream and the input items it was made from. Field for field as the service answers, from a
 * recorded OpenAI stream (prism-php/prism {@code tests/Fixtures/openai/stream-basic-text-responses-1.json})
 * and the models of openai-python ({@code types/responses/response.py}) and openai-java 4.8.0
 * ({@code Response}, whose required fields are id, created_at, error, incomplete_details,
 * instructions, metadata, model, object, output, parallel_tool_calls, temperature, tool_choice,
 * tools, top_p; {@code ResponseUsage}; {@code ResponseOutputMessage}; the stream events, each with
 * {@code sequence_number}, and the text events with {@code logprobs}).
 */
final class ResponseShapes {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** What one response is made of, fixed from its first event to its last. */
    record Draft(String id, long createdAt, String model, JsonNode request, String messageId, List<String> tokens,
                 long inputTokens, boolean stored) {

        Draft {
            tokens = List.copyOf(tokens);
        }

        String text() {
            return String.join("", tokens);
        }
    }

    /** The response as a completed create answers it (and as retrieve gives it back). */
    ObjectNode completed(Draft draft) {
        ObjectNode response = response(draft, "completed");
        response.putArray("output").add(message(draft, "completed"));
        ObjectNode usage = response.putObject("usage");
        usage.put("input_tokens", draft.inputTokens());
        usage.putObject("input_tokens_details").put("cached_tokens", 0);
        usage.put("output_tokens", draft.tokens().size());
        usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
        usage.put("total_tokens", draft.inputTokens() + draft.tokens().size());
        return response;
    }

    /**
     * The stream: response.created (the id is in the first event), response.in_progress, the output
     * item and its content part added, one response.output_text.delta per token, then each of those
     * done, and response.completed with the usage. There is no {@code [DONE]} line; the stream ends
     * after response.completed.
     */
    List<Answer.Event> events(Draft draft) {
        EventSequence stream = new EventSequence();
        ObjectNode inProgress = response(draft, "in_progress");
        inProgress.putArray("output");
        inProgress.putNull("usage");
        stream.emit("response.created", false, event -> event.set("response", inProgress));
        stream.emit("response.in_progress", false, event -> event.set("response", inProgress));
        stream.emit("response.output_item.added", false,
                event -> event.put("output_index", 0).set("item", message(draft, "in_progress")));
        stream.emit("response.content_part.added", false, event -> part(event, draft).set("part", outputText("")));
        for (String token : draft.tokens()) {
            stream.emit("response.output_text.delta", true, event -> part(event, draft).put("delta", token).putArray("logprobs"));
        }
        stream.emit("response.output_text.done", false, event -> part(event, draft).put("text", draft.text()).putArray("logprobs"));
        stream.emit("response.content_part.done", false, event -> part(event, draft).set("part", outputText(draft.text())));
        stream.emit("response.output_item.done", false,
                event -> event.put("output_index", 0).set("item", message(draft, "completed")));
        stream.emit("response.completed", false, event -> event.set("response", completed(draft)));
        return stream.events;
    }

    /** Events numbered in the order they are made, each framed (and so fixed) as it is added. */
    private static final class EventSequence {
        private final List<Answer.Event> events = new ArrayList<>();

        /** @param paced a token's event, which waits the token latency before it is sent */
        void emit(String type, boolean paced, Consumer<ObjectNode> fields) {
            ObjectNode event = NODES.objectNode();
            event.put("type", type).put("sequence_number", events.size());
            fields.accept(event);
            events.add(Answer.Event.named(type, event, paced));
        }
    }

    /**
     * The input as the input_items list gives it back: a string input is one user message, and
     * each item of an array input keeps its content, with the id and status the service adds.
     */
    List<ObjectNode> inputItems(JsonNode input, Ids ids) {
        List<ObjectNode> items = new ArrayList<>();
        if (input.isTextual()) {
            items.add(inputMessage("user", NODES.textNode(input.asText()), ids));
        } else if (input.isArray()) {
            for (JsonNode item : input) {
                if (item.isTextual()) {
                    items.add(inputMessage("user", item, ids));
                } else if (item.isObject() && item.has("role") && item.path("type").asText("message").equals("message")) {
                    ObjectNode message = inputMessage(item.path("role").asText(), item.path("content"), ids);
                    if (item.hasNonNull("id")) {
                        message.set("id", item.get("id"));
                    }
                    items.add(message);
                } else if (item.isObject()) {
                    ObjectNode other = ((ObjectNode) item).deepCopy();
                    if (!other.hasNonNull("id")) {
                        other.put("id", ids.next("item_", 48));
                    }
                    items.add(other);
                }
            }
        }
        return items;
    }

    private static ObjectNode inputMessage(String role, JsonNode content, Ids ids) {
        ObjectNode message = NODES.objectNode();
        message.put("id", ids.next("msg_", 48)).put("type", "message").put("role", role).put("status", "completed");
        ArrayNode parts = message.putArray("content");
        String partType = role.equals("assistant") ? "output_text" : "input_text";
        if (content.isTextual()) {
            parts.addObject().put("type", partType).put("text", content.asText());
        } else if (content.isArray()) {
            parts.addAll((ArrayNode) content.deepCopy());
        }
        return message;
    }

    /** Every field of the response object but its output and usage, echoing what the request set. */
    private static ObjectNode response(Draft draft, String status) {
        JsonNode request = draft.request();
        ObjectNode response = NODES.objectNode();
        response.put("id", draft.id()).put("object", "response").put("created_at", draft.createdAt()).put("status", status);
        response.put("background", false);
        response.putNull("error");
        response.putNull("incomplete_details");
        response.set("instructions", echo(request, "instructions", NODES.nullNode()));
        response.set("max_output_tokens", echo(request, "max_output_tokens", NODES.nullNode()));
        response.putNull("max_tool_calls");
        response.put("model", draft.model());
        response.set("parallel_tool_calls", echo(request, "parallel_tool_calls", NODES.booleanNode(true)));
        response.set("previous_response_id", echo(request, "previous_response_id", NODES.nullNode()));
        response.putObject("reasoning").putNull("effort").putNull("summary");
        response.put("service_tier", "default");
        response.put("store", draft.stored());
        response.set("temperature", echo(request, "temperature", NODES.numberNode(1.0)));
        ObjectNode text = NODES.objectNode();
        text.putObject("format").put("type", "text");
        response.set("text", echo(request, "text", text));
        response.set("tool_choice", echo(request, "tool_choice", NODES.textNode("auto")));
        response.set("tools", echo(request, "tools", NODES.arrayNode()));
        response.put("top_logprobs", 0);
        response.set("top_p", echo(request, "top_p", NODES.numberNode(1.0)));
        response.set("truncation", echo(request, "truncation", NODES.textNode("disabled")));
        response.set("user", echo(request, "user", NODES.nullNode()));
        response.set("metadata", echo(request, "metadata", NODES.objectNode()));
        return response;
    }

    private static JsonNode echo(JsonNode request, String field, JsonNode otherwise) {
        JsonNode value = request.get(field);
        return value == null || value.isNull() ? otherwise : value.deepCopy();
    }

    private static ObjectNode message(Draft draft, String status) {
        ObjectNode message = NODES.objectNode();
        message.put("id", draft.messageId()).put("type", "message").put("status", status);
        ArrayNode content = message.putArray("content");
        if (status.equals("completed")) {
            content.add(outputText(draft.text()));
        }
        message.put("role", "assistant");
        return message;
    }

    private static ObjectNode outputText(String text) {
        ObjectNode part = NODES.objectNode();
        part.put("type", "output_text");
        part.putArray("annotations");
        part.putArray("logprobs");
        part.put("text", text);
        return part;
    }

    private static ObjectNode part(ObjectNode event, Draft draft) {
        return event.put("item_id", draft.messageId()).put("output_index", 0).put("content_index", 0);
    }
}
