package dev.spillway.simulator.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Files API ({@code /openai/v1/files}, and {@code /openai/files?api-version=}): upload as
 * {@code multipart/form-data} with {@code purpose} and {@code file}, retrieve, download the content,
 * delete, and list this account's files. A file exists in the account it was uploaded to only.
 */
public final class Files implements ObjectApi {

    private final AccountObjects objects;
    private final InstantSource clock;

    public Files(AccountObjects objects, InstantSource clock) {
        this.objects = objects;
        this.clock = clock;
    }

    @Override
    public Answer handle(ObjectCall call) {
        if (call.is("POST", 0)) {
            return upload(call);
        }
        if (call.is("GET", 0)) {
            return list(call);
        }
        if (call.path().isEmpty() || call.path().size() > 2) {
            return ApiErrors.resourceNotFound();
        }
        String id = call.path().getFirst();
        Optional<StoredFile> held = objects.files().get(id);
        if (call.is("GET", 1)) {
            return held.map(file -> Answer.json(200, file.toJson())).orElseGet(() -> notFound(id));
        }
        if (call.is("GET", 2) && call.path().get(1).equals("content")) {
            return held.map(file -> Answer.bytes(200, "application/octet-stream", file.content())).orElseGet(() -> notFound(id));
        }
        if (call.is("DELETE", 1)) {
            if (objects.files().remove(id).isEmpty()) {
                return notFound(id);
            }
            // openai-java FileDeleted (id, object "file", deleted); prism-php/prism tests/Fixtures/openai/file-delete-1.json.
            ObjectNode deleted = JsonNodeFactory.instance.objectNode();
            deleted.put("id", id).put("object", "file").put("deleted", true);
            return Answer.json(200, deleted);
        }
        return ApiErrors.resourceNotFound();
    }

    private Answer upload(ObjectCall call) {
        Optional<Map<String, MultipartForm.Field>> form;
        try {
            form = MultipartForm.parse(call.contentType(), call.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ApiErrors.azure(500, "InternalServerError", "The server had an error while processing your request.");
        }
        if (form.isEmpty()) {
            return ApiErrors.invalidRequest(400, "Invalid request: the body must be multipart/form-data with 'purpose' and 'file'.",
                    null, null);
        }
        MultipartForm.Field purpose = form.get().get("purpose");
        if (purpose == null || purpose.text().isBlank()) {
            return ApiErrors.missingParameter("purpose");
        }
        MultipartForm.Field file = form.get().get("file");
        if (file == null) {
            return ApiErrors.missingParameter("file");
        }
        StoredFile stored = new StoredFile(objects.ids().next("file-", 32), file.filename().orElse("file"), purpose.text().strip(),
                clock.instant().getEpochSecond(), file.content());
        objects.files().put(stored.id(), stored);
        return Answer.json(200, stored.toJson());
    }

    /** Newest first, up to 10,000 a page (the files list reference), optionally of one purpose. */
    private Answer list(ObjectCall call) {
        Optional<String> purpose = call.query("purpose");
        List<StoredFile> files = objects.files().oldestFirst().stream()
                .filter(file -> purpose.isEmpty() || purpose.get().equals(file.purpose())).toList();
        ListQuery.Page<StoredFile> page = ListQuery.of(call, 10_000, 10_000, false).page(files, StoredFile::id);
        return Answer.json(200, ListQuery.body(page.items().stream().map(StoredFile::toJson).toList(), page.hasMore()));
    }

    /**
     * The service's 404 for a file it does not hold: {@code invalid_request_error}, param {@code id},
     * "No such File object: {id}" (what the OpenAI .NET library's API-reference example
     * {@code FileDocs.RetrieveFile} asserts the service answers: "HTTP 404 (invalid_request_error: )
     * Parameter: id ... No such File object: file-abc123").
     */
    static Answer notFound(String id) {
        return ApiErrors.invalidRequest(404, "No such File object: " + id, "id", null);
    }
}
