package dev.spillway.simulator;

import java.util.List;
import java.util.Map;

/** One request as the simulated account received it, kept so tests can inspect what arrived. */
public record ReceivedRequest(
        String method, String path, String query, Map<String, List<String>> headers, byte[] body) {

    /** The first value of a header, matched case-insensitively, or null. */
    public String header(String name) {
        for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
            if (entry.getKey().equalsIgnoreCase(name) && !entry.getValue().isEmpty()) {
                return entry.getValue().get(0);
            }
        }
        return null;
    }
}
