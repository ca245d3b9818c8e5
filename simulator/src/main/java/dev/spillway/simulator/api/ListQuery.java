package dev.spillway.simulator.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The paging of a list call, from its {@code limit}, {@code order} ({@code asc} or {@code desc} by
 * creation) and {@code after} (the id of the last object of the previous page) parameters.
 */
public record ListQuery(int limit, boolean ascending, Optional<String> after) {

    /** A page of a list and whether more follow it. */
    public record Page<T>(List<T> items, boolean hasMore) {}

    /** Reads the parameters; a missing or unreadable limit is the default, and a limit is kept to [1, max]. */
    public static ListQuery of(ObjectCall call, int defaultLimit, int maxLimit, boolean ascendingByDefault) {
        int limit = defaultLimit;
        try {
            limit = call.query("limit").map(Integer::parseInt).orElse(defaultLimit);
        } catch (NumberFormatException unreadable) {
            // the default, as for a missing one
        }
        boolean ascending = call.query("order").map(order -> order.equals("asc")).orElse(ascendingByDefault);
        return new ListQuery(Math.max(1, Math.min(maxLimit, limit)), ascending, call.query("after").filter(a -> !a.isEmpty()));
    }

    /**
     * The page of {@code oldestFirst} this query asks for. An {@code after} that names no listed
     * object gives an empty page: the cursor points past everything this account holds.
     */
    public <T> Page<T> page(List<T> oldestFirst, Function<T, String> id) {
        List<T> ordered = new ArrayList<>(oldestFirst);
        if (!ascending) {
            ordered = ordered.reversed();
        }
        int start = 0;
        if (after.isPresent()) {
            start = ordered.size();
            for (int i = 0; i < ordered.size(); i++) {
                if (id.apply(ordered.get(i)).equals(after.get())) {
                    start = i + 1;
                    break;
                }
            }
        }
        int end = Math.min(ordered.size(), start + limit);
        return new Page<>(List.copyOf(ordered.subList(start, end)), end < ordered.size());
    }

    /**
     * The service's list body: {@code {"object":"list","data":[...],"first_id","last_id","has_more"}}
     * (the fields of openai-java's {@code FileListPageResponse}, {@code BatchListPageResponse} and
     * {@code ResponseItemList}; a client asks for the next page with {@code after} set to the last
     * item's id, openai-python {@code pagination.py} CursorPage). On an empty page the two ids are null.
     */
    public static ObjectNode body(List<ObjectNode> data, boolean hasMore) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("object", "list");
        body.putArray("data").addAll(data);
        if (data.isEmpty()) {
            body.putNull("first_id");
            body.putNull("last_id");
        } else {
            body.put("first_id", data.getFirst().path("id").asText());
            body.put("last_id", data.getLast().path("id").asText());
        }
        body.put("has_more", hasMore);
        return body;
    }
}
