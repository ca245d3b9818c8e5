package dev.spillway.simulator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

/**
 * The Responses API ({@code /openai/v1/responses}, and {@code /openai/responses?api-version=}):
 * create, which the handler calls once the model gate has admitted the call, and retrieve, delete
 * and list input items on the responses this account stored. A response exists in the account
 * that created it only; elsewhere its id is unknown.
 */
public final class Responses implements ObjectApi {

    private final AccountObjects objects;
    private final InstantSource clock;
    private final ResponseShapes shapes = new ResponseShapes();

    public Responses(AccountObjects objects, InstantSource clock) {
        this.objects = objects;
        this.clock = clock;
    }

    /**
     * A create the gate has admitted (and charged): the completed response, or its event stream
     * when {@code stream} is true. Stored unless {@code store} is false, so that it can be
     * retrieved and continued from.
     *
     * @param tokens      the answer, a token each
     * @param inputTokens what the usage reports for the input
     */
    public Answer create(JsonNode request, String model, List<String> tokens, long inputTokens) {
        JsonNode previous = request.path("previous_response_id");
        if (previous.isTextual() && objects.responses().get(previous.asText()).isEmpty()) {
            // 400 with param and code as the service sends them (reported verbatim in, for example,
            // maximhq/bifrost#2441 and bigduu/Bamboo-agent#513): a response deleted, stored with
            // store=false, or held by another account is not found alike.
            return ApiErrors.invalidRequest(400, "Previous response with id '" + previous.asText() + "' not found.",
                    "previous_response_id", "previous_response_not_found");
        }
        JsonNode store = request.path("store");
        boolean stored = !(store.isBoolean() && !store.booleanValue());
        Ids ids = objects.ids();
        ResponseShapes.Draft draft = new ResponseShapes.Draft(ids.next("resp_", 48), clock.instant().getEpochSecond(), model,
                request, ids.next("msg_", 48), tokens, inputTokens, stored);
        ObjectNode completed = shapes.completed(draft);
        if (stored) {
            objects.responses().put(draft.id(), new StoredResponse(completed, shapes.inputItems(request.path("input"), ids)));
        }
        if (request.path("stream").asBoolean(false)) {
            return Answer.events(shapes.events(draft), false);
        }
        return Answer.json(200, completed);
    }

    @Override
    public Answer handle(ObjectCall call) {
        if (call.path().isEmpty()) {
            return ApiErrors.resourceNotFound();
        }
        String id = call.path().getFirst();
        Optional<StoredResponse> held = objects.responses().get(id);
        if (call.is("GET", 1)) {
            return held.map(response -> Answer.json(200, response.response())).orElseGet(() -> notFound(id));
        }
        if (call.is("DELETE", 1)) {
            if (objects.responses().remove(id).isEmpty()) {
                return notFound(id);
            }
            // As the service answers a delete (ai.azure.com API reference, "Delete a model response").
            ObjectNode deleted = JsonNodeFactory.instance.objectNode();
            deleted.put("id", id).put("object", "response").put("deleted", true);
            return Answer.json(200, deleted);
        }
        if (call.is("GET", 2) && call.path().get(1).equals("input_items")) {
            if (held.isEmpty()) {
                return notFound(id);
            }
            // Newest first unless asked otherwise, 20 a page, at most 100 (the input_items reference).
            ListQuery.Page<ObjectNode> page = ListQuery.of(call, 20, 100, false)
                    .page(held.get().inputItems(), item -> item.path("id").asText());
            return Answer.json(200, ListQuery.body(page.items(), page.hasMore()));
        }
        return ApiErrors.resourceNotFound();
    }

    /**
     * The service's 404 for a response it does not hold: {@code invalid_request_error} with null
     * param and code (the upstream body LiteLLM's tests of its Azure responses handler answer with,
     * {@code _UPSTREAM_NOT_FOUND_BODY}, for retrieve and for input_items).
     */
    private static Answer notFound(String id) {
        return ApiErrors.invalidRequest(404, "Response with id '" + id + "' not found.", null, null);
    }
}
