package dev.spillway.simulator.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the account answers one request with. The APIs build it and the handler writes it, so an
 * API is a plain function of the request and knows nothing of the servlet response or of streams
 * being cut by a fault.
 */
public record Answer(int status, Map<String, String> headers, Body body) {

    public Answer {
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    /** The three kinds of body the service sends. */
    public sealed interface Body {}

    public record Json(JsonNode node) implements Body {}

    public record Bytes(String contentType, byte[] bytes) implements Body {}

    /** Server-sent events, written one at a time; {@code doneMarker} ends them with {@code data: [DONE]}. */
    public record Events(List<Event> events, boolean doneMarker) implements Body {
        public Events {
            events = List.copyOf(events);
        }
    }

    /** One SSE frame with its blank line; a paced frame waits the token latency before it is sent. */
    public record Event(String frame, boolean paced) {

        /** {@code data: <json>}, the chat completion stream's frame. */
        public static Event data(JsonNode data, boolean paced) {
            return new Event("data: " + data + "\n\n", paced);
        }

        /** {@code event: <type>} then {@code data: <json>}, the Responses stream's frame. */
        public static Event named(String type, JsonNode data, boolean paced) {
            return new Event("event: " + type + "\ndata: " + data + "\n\n", paced);
        }
    }

    public static Answer json(int status, JsonNode body) {
        return new Answer(status, Map.of(), new Json(body));
    }

    public static Answer bytes(int status, String contentType, byte[] body) {
        return new Answer(status, Map.of(), new Bytes(contentType, body));
    }

    public static Answer events(List<Event> events, boolean doneMarker) {
        return new Answer(200, Map.of(), new Events(events, doneMarker));
    }

    /** The same answer with these headers too (a later value for the same name wins). */
    public Answer withHeaders(Map<String, String> more) {
        Map<String, String> merged = new LinkedHashMap<>(headers);
        merged.putAll(more);
        return new Answer(status, merged, body);
    }
}
