package dev.spillway.proxy.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.io.Content;

/**
 * Finds the {@code model} field of a {@code multipart/form-data} body (audio transcriptions and
 * translations, image edits under {@code /openai/v1/}), with Jetty's own multipart parser over the
 * buffered body: the parser hands out slices of that buffer, so a file part is never copied, and
 * only the small {@code model} part's bytes are kept.
 */
final class MultipartModel {

    /** No deployment name is longer; a longer "model" part is not one. */
    private static final int MAX_MODEL_BYTES = 256;

    /** The model part's text, or null when the body is not such a form or has none. */
    String model(String contentType, byte[] body) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            return null;
        }
        String boundary = MultiPart.extractBoundary(contentType);
        if (boundary == null) {
            return null;
        }
        Finder finder = new Finder();
        MultiPart.Parser parser = new MultiPart.Parser(boundary, finder);
        parser.setMaxParts(1_000);
        try {
            parser.parse(Content.Chunk.from(ByteBuffer.wrap(body), true));
        } catch (RuntimeException malformed) {
            // The account refuses a malformed form in its own words.
            return null;
        }
        return finder.model;
    }

    private static final class Finder implements MultiPart.Parser.Listener {
        private boolean inModel;
        private ByteBuffer value;
        private String model;

        @Override
        public void onPartBegin() {
            inModel = false;
            value = null;
        }

        @Override
        public void onPartHeader(String name, String headerValue) {
            if (name.equalsIgnoreCase("Content-Disposition") && model == null) {
                Map<String, String> parameters = new HashMap<>();
                HttpField.getValueParameters(headerValue, parameters);
                inModel = "model".equals(unquote(parameters.get("name"))) && !parameters.containsKey("filename");
                if (inModel) {
                    value = ByteBuffer.allocate(MAX_MODEL_BYTES);
                }
            }
        }

        @Override
        public void onPartContent(Content.Chunk chunk) {
            try {
                ByteBuffer bytes = chunk.getByteBuffer();
                if (inModel && value != null) {
                    if (bytes.remaining() > value.remaining()) {
                        value = null;
                    } else {
                        value.put(bytes.duplicate());
                    }
                }
            } finally {
                chunk.release();
            }
        }

        @Override
        public void onPartEnd() {
            if (inModel && value != null && model == null) {
                model = new String(value.array(), 0, value.position(), StandardCharsets.UTF_8).trim();
            }
            inModel = false;
        }

        private static String unquote(String value) {
            if (value != null && value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                return value.substring(1, value.length() - 1);
            }
            return value;
        }
    }
}
