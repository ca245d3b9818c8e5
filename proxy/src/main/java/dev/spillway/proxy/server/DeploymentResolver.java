package dev.spillway.proxy.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Locale;

/**
 * Finds which deployment a request is for, since throttling is per deployment: the path segment
 * after {@code /openai/deployments/}, or for {@code /openai/v1/**} the {@code model} field of the
 * JSON body. Calls that name no deployment (listing models, say) resolve to the empty name.
 */
final class DeploymentResolver {

    private static final String DEPLOYMENTS = "/openai/deployments/";
    private static final String V1 = "/openai/v1/";
    private final JsonFactory json = new JsonFactory();

    /** @param rawPath the request path as sent, percent-encoding intact */
    String resolve(String rawPath, String contentType, byte[] body) throws BadRequestException {
        if (rawPath.startsWith(DEPLOYMENTS)) {
            int end = rawPath.indexOf('/', DEPLOYMENTS.length());
            return end < 0 ? rawPath.substring(DEPLOYMENTS.length()) : rawPath.substring(DEPLOYMENTS.length(), end);
        }
        if (rawPath.startsWith(V1) && body.length > 0 && isJson(contentType, body)) {
            String model = topLevelModel(body);
            if (model == null || model.isBlank()) {
                throw new BadRequestException(400, "missing_model", "A request to /openai/v1/ needs a \"model\" field "
                        + "in its JSON body naming the deployment, such as {\"model\": \"chat\", ...}.");
            }
            return model;
        }
        return "";
    }

    /** By its content type, or by its first character, since some clients send JSON with a form content type. */
    private static boolean isJson(String contentType, byte[] body) {
        if (contentType != null && contentType.toLowerCase(Locale.ROOT).contains("json")) {
            return true;
        }
        for (byte b : body) {
            if (!Character.isWhitespace(b)) {
                return b == '{';
            }
        }
        return false;
    }

    /** Streams through the body and reads only the top-level {@code model}, skipping everything else. */
    private String topLevelModel(byte[] body) throws BadRequestException {
        try (JsonParser parser = json.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw invalidJson();
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("model".equals(field)) {
                    return value == JsonToken.VALUE_STRING ? parser.getText() : null;
                }
                parser.skipChildren();
            }
            return null;
        } catch (IOException e) {
            throw invalidJson();
        }
    }

    private static BadRequestException invalidJson() {
        return new BadRequestException(400, "invalid_json", "The request body is not a valid JSON object. "
                + "Send a JSON object with a \"model\" field naming the deployment.");
    }
}
