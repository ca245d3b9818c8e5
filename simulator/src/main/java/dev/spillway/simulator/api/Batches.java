package dev.spillway.simulator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.time.InstantSource;
import java.util.Optional;

/**
 * The Batch API ({@code /openai/v1/batches}, and {@code /openai/batches?api-version=}): create from
 * an input file this account holds, retrieve, cancel, and list this account's batches.
 */
public final class Batches implements ObjectApi {

    private final AccountObjects objects;
    private final ObjectMapper json;
    private final InstantSource clock;

    public Batches(AccountObjects objects, ObjectMapper json, InstantSource clock) {
        this.objects = objects;
        this.json = json;
        this.clock = clock;
    }

    @Override
    public Answer handle(ObjectCall call) {
        if (call.is("POST", 0)) {
            return create(call);
        }
        if (call.is("GET", 0)) {
            // Newest first, 20 a page, at most 100 (the batches list reference).
            ListQuery.Page<StoredBatch> page = ListQuery.of(call, 20, 100, false).page(objects.batches().oldestFirst(), StoredBatch::id);
            return Answer.json(200, ListQuery.body(page.items().stream().map(StoredBatch::toJson).toList(), page.hasMore()));
        }
        if (call.is("GET", 1)) {
            String id = call.path().getFirst();
            return objects.batches().get(id).map(batch -> Answer.json(200, batch.toJson())).orElseGet(() -> notFound(id));
        }
        if (call.is("POST", 2) && call.path().get(1).equals("cancel")) {
            String id = call.path().getFirst();
            long now = clock.instant().getEpochSecond();
            return objects.batches().update(id, batch -> batch.status().equals("validating") ? batch.cancelling(now) : batch)
                    .map(batch -> Answer.json(200, batch.toJson())).orElseGet(() -> notFound(id));
        }
        return ApiErrors.resourceNotFound();
    }

    private Answer create(ObjectCall call) {
        JsonNode request;
        try {
            request = json.readTree(call.body());
        } catch (IOException e) {
            request = null;
        }
        if (request == null || !request.isObject()) {
            return ApiErrors.invalidRequest(400, "We could not parse the JSON body of your request.", null, null);
        }
        for (String required : new String[] {"input_file_id", "endpoint", "completion_window"}) {
            if (request.path(required).asText("").isEmpty()) {
                return ApiErrors.missingParameter(required);
            }
        }
        String inputFileId = request.path("input_file_id").asText();
        if (objects.files().get(inputFileId).isEmpty()) {
            // The file is looked up in this account only: one uploaded elsewhere is no such file here.
            return ApiErrors.invalidRequest(404, "No such File object: " + inputFileId, "input_file_id", null);
        }
        JsonNode metadata = request.path("metadata").isObject() ? request.get("metadata") : NullNode.getInstance();
        StoredBatch batch = new StoredBatch(objects.ids().next("batch_", 32), request.path("endpoint").asText(), inputFileId,
                request.path("completion_window").asText(), clock.instant().getEpochSecond(), "validating", Optional.empty(), metadata);
        objects.batches().put(batch.id(), batch);
        return Answer.json(200, batch.toJson());
    }

    /**
     * 404 for a batch this account does not hold, code {@code batch_not_found} (what BerriAI/litellm#37148
     * reports api.openai.com answers for an unknown batch id, on retrieve and on cancel). The message
     * text is this simulator's: no recorded answer of the service's was found to copy it from.
     */
    private static Answer notFound(String id) {
        return ApiErrors.invalidRequest(404, "No batch found with id '" + id + "'.", null, "batch_not_found");
    }
}
