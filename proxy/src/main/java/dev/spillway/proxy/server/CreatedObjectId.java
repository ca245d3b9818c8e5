package dev.spillway.proxy.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.spillway.proxy.forward.BodyTap;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Finds the id of the object an answer created, as the answer passes through: the top-level
 * {@code id} of a JSON object ({@code {"id":"file-1","object":"file",...}}), or in a stream, the
 * first event's ({@code response.created}'s {@code {"response":{"id":"resp_1",...}}}). Each chunk is
 * seen before the client gets it, so the home is remembered before the client can name the object
 * in its next request. Only the start of the body is kept, at most {@link #MAX_PREFIX} bytes, which
 * every such answer puts its id within.
 */
final class CreatedObjectId implements BodyTap {

    static final int MAX_PREFIX = 16 * 1024;
    /** Ids are short tokens; anything else in the field is not one to route by. */
    private static final int MAX_ID_LENGTH = 256;
    private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);
    private static final JsonFactory JSON = new JsonFactory();

    private final boolean stream;
    private final Consumer<String> found;
    private byte[] prefix = new byte[1024];
    private int length;
    private boolean done;

    /** @param stream whether the answer is an event stream, whose first {@code data:} line holds the object */
    CreatedObjectId(boolean stream, Consumer<String> found) {
        this.stream = stream;
        this.found = found;
    }

    @Override
    public void accept(ByteBuffer bytes) {
        if (done || !bytes.hasRemaining()) {
            return;
        }
        int take = Math.min(bytes.remaining(), MAX_PREFIX - length);
        if (length + take > prefix.length) {
            prefix = Arrays.copyOf(prefix, Math.min(MAX_PREFIX, Math.max(prefix.length * 2, length + take)));
        }
        bytes.get(bytes.position(), prefix, length, take);
        length += take;
        String id = id();
        if (id != null || length >= MAX_PREFIX) {
            done = true;
            prefix = null;
            if (id != null) {
                found.accept(id);
            }
        }
    }

    /** The id, or null until the bytes so far hold it (or if they never will). */
    private String id() {
        int start = stream ? dataStart() : 0;
        if (start < 0) {
            return null;
        }
        try (JsonParser parser = JSON.createParser(prefix, start, length - start)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (field.equals("id") && value == JsonToken.VALUE_STRING) {
                    return valid(parser.getText());
                }
                if (field.equals("response") && value == JsonToken.START_OBJECT) {
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        boolean id = parser.currentName().equals("id");
                        JsonToken inner = parser.nextToken();
                        if (id && inner == JsonToken.VALUE_STRING) {
                            return valid(parser.getText());
                        }
                        parser.skipChildren();
                    }
                    continue;
                }
                parser.skipChildren();
            }
            return null;
        } catch (IOException incompleteOrNotJson) {
            return null;
        }
    }

    /** Where the first event's data begins, or -1 while it has not arrived. */
    private int dataStart() {
        outer:
        for (int i = 0; i + DATA.length <= length; i++) {
            if (i > 0 && prefix[i - 1] != '\n') {
                continue;
            }
            for (int j = 0; j < DATA.length; j++) {
                if (prefix[i + j] != DATA[j]) {
                    continue outer;
                }
            }
            return i + DATA.length;
        }
        return -1;
    }

    private static String valid(String id) {
        if (id.isEmpty() || id.length() > MAX_ID_LENGTH) {
            return null;
        }
        for (int i = 0; i < id.length(); i++) {
            if (id.charAt(i) <= ' ' || id.charAt(i) == 0x7f) {
                return null;
            }
        }
        return id;
    }
}
