package dev.spillway.simulator.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A response the account stored ({@code store} was not false): the response object as it was
 * answered and the input items it was made from. Neither is changed once stored.
 */
public record StoredResponse(ObjectNode response, List<ObjectNode> inputItems) {

    public StoredResponse {
        inputItems = List.copyOf(inputItems);
    }

    public String id() {
        return response.path("id").asText();
    }
}
