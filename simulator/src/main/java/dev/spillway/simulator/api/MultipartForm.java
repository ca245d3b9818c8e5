package dev.spillway.simulator.api;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.http.MultiPartFormData;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Promise;

/**
 * A {@code multipart/form-data} body read with Jetty's own parser, from the bytes the handler has
 * already read (it reads every body whole, to record it): an upload is a few parts, and a parser
 * written here would get the edge cases (quoted boundaries, folded headers) wrong.
 */
final class MultipartForm {

    /** One field of the form; a file field has the name the client gave the file. */
    record Field(String name, Optional<String> filename, byte[] content) {
        String text() {
            return new String(content, StandardCharsets.UTF_8);
        }
    }

    private MultipartForm() {}

    /** The form's fields by name (the first of each name), or empty if the body is not a form. */
    static Optional<Map<String, Field>> parse(Optional<String> contentType, byte[] body) throws InterruptedException {
        if (contentType.isEmpty() || !contentType.get().toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            return Optional.empty();
        }
        String boundary = MultiPart.extractBoundary(contentType.get());
        if (boundary == null || boundary.isEmpty()) {
            return Optional.empty();
        }
        MultiPartFormData.Parser parser = new MultiPartFormData.Parser(boundary);
        // Every part in memory: the account keeps uploads in memory anyway, and no temporary files are left behind.
        parser.setMaxMemoryFileSize(-1);
        parser.setUseFilesForPartsWithoutFileName(false);
        CompletableFuture<MultiPartFormData.Parts> parsed = new CompletableFuture<>();
        // The whole body is at hand: waiting for the parse waits on no network.
        parser.parse(Content.Source.from(ByteBuffer.wrap(body)), Promise.Invocable.toPromise(parsed));
        try (MultiPartFormData.Parts parts = parsed.get()) {
            Map<String, Field> fields = new LinkedHashMap<>();
            for (MultiPart.Part part : parts) {
                if (part.getName() != null && !fields.containsKey(part.getName())) {
                    ByteBuffer content = Content.Source.asByteBuffer(part.createContentSource());
                    byte[] bytes = new byte[content.remaining()];
                    content.get(bytes);
                    fields.put(part.getName(), new Field(part.getName(), Optional.ofNullable(part.getFileName()), bytes));
                }
            }
            return Optional.of(fields);
        } catch (ExecutionException | IOException malformed) {
            return Optional.empty();
        }
    }
}
