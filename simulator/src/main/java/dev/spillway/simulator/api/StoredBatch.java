package dev.spillway.simulator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * A batch the account holds. The simulator runs no batch: one stays {@code validating} until it
 * is cancelled, which is enough for a caller that creates, polls and cancels.
 */
public record StoredBatch(String id, String endpoint, String inputFileId, String completionWindow, long createdAt, String status,
                          Optional<Long> cancellingAt, JsonNode metadata) {

    /** A batch's window is 24 hours, the only completion_window the service takes. */
    private static final long WINDOW_SECONDS = 24 * 60 * 60;

    /** Cancelling is where a cancel leaves a batch that has not finished. */
    public StoredBatch cancelling(long at) {
        return new StoredBatch(id, endpoint, inputFileId, completionWindow, createdAt, "cancelling", Optional.of(at), metadata);
    }

    /**
     * The batch object: every field the service sends, null until it happens (openai-python
     * {@code types/batch.py}; prism-php/prism {@code tests/Fixtures/openai/batch-create-1.json}),
     * with openai-java's required id, object, endpoint, input_file_id, completion_window, status and
     * created_at.
     */
    public ObjectNode toJson() {
        ObjectNode batch = JsonNodeFactory.instance.objectNode();
        batch.put("id", id).put("object", "batch").put("endpoint", endpoint);
        batch.putNull("errors");
        batch.put("input_file_id", inputFileId).put("completion_window", completionWindow).put("status", status);
        batch.putNull("output_file_id");
        batch.putNull("error_file_id");
        batch.put("created_at", createdAt);
        batch.putNull("in_progress_at");
        batch.put("expires_at", createdAt + WINDOW_SECONDS);
        batch.putNull("finalizing_at");
        batch.putNull("completed_at");
        batch.putNull("failed_at");
        batch.putNull("expired_at");
        if (cancellingAt.isPresent()) {
            batch.put("cancelling_at", cancellingAt.get());
        } else {
            batch.putNull("cancelling_at");
        }
        batch.putNull("cancelled_at");
        batch.putObject("request_counts").put("total", 0).put("completed", 0).put("failed", 0);
        batch.set("metadata", metadata.deepCopy());
        return batch;
    }
}
