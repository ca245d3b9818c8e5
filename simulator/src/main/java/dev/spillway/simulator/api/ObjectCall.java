package dev.spillway.simulator.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A call on the account's objects, as an object API sees it.
 *
 * @param path        the segments after the collection ({@code files/{id}/content} gives {@code [id, content]})
 * @param contentType the request's {@code Content-Type}, or empty
 */
public record ObjectCall(String method, List<String> path, Map<String, List<String>> query, Optional<String> contentType,
                         byte[] body) {

    public ObjectCall {
        path = List.copyOf(path);
        query = Map.copyOf(query);
    }

    /** The first value of a query parameter. */
    public Optional<String> query(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /** Whether this is {@code method} on a path of exactly {@code segments} segments after the collection. */
    public boolean is(String method, int segments) {
        return this.method.equals(method) && path.size() == segments;
    }
}
