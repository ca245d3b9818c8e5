package dev.spillway.simulator.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** A file the account holds: what was uploaded, and under which name and purpose. */
public record StoredFile(String id, String filename, String purpose, long createdAt, byte[] content) {

    /**
     * The file object: id, object, bytes, created_at, filename, purpose and status, which
     * openai-java's {@code FileObject} requires, and the nullable expires_at and status_details, as
     * the service lists them (openai-python {@code types/file_object.py}; prism-php/prism
     * {@code tests/Fixtures/openai/file-list-1.json}). An upload is {@code processed} at once.
     */
    public ObjectNode toJson() {
        ObjectNode file = JsonNodeFactory.instance.objectNode();
        file.put("object", "file").put("id", id).put("purpose", purpose).put("filename", filename);
        file.put("bytes", content.length).put("created_at", createdAt);
        file.putNull("expires_at");
        file.put("status", "processed");
        file.putNull("status_details");
        return file;
    }
}
