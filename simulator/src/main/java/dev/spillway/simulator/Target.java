package dev.spillway.simulator;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a request under {@code /openai/} asks for, read from its method and path alone: a model
 * call (charged against a deployment's quota), a call on the account's objects, or nothing the
 * account serves. Both of Azure's path styles are read: {@code /openai/v1/...} with the model in
 * the body, and the older {@code /openai/deployments/{d}/...} and {@code /openai/{collection}}
 * that take {@code ?api-version=}.
 */
sealed interface Target {

    /** @param deployment from the path, or empty when the body's {@code model} names it */
    record ModelCall(Operation operation, Optional<String> deployment) implements Target {}

    /** @param rest the path's segments after the collection: an object's id, then a sub-resource */
    record ObjectCall(String collection, List<String> rest) implements Target {}

    record Unknown() implements Target {}

    Pattern DEPLOYMENT_CALL = Pattern.compile("^/openai/deployments/([^/]+)/(chat/completions|embeddings)$");
    Pattern MODEL_IN_BODY_CALL = Pattern.compile("^/openai/(?:v1/(chat/completions|embeddings|responses)|(responses))$");
    /** Models are listed on the v1 surface only; the older {@code /openai/models} lists base models, not deployments. */
    Pattern OBJECTS = Pattern.compile("^/openai/(?:v1/(responses|files|batches|models)|(responses|files|batches))((?:/[^/]+)*)$");

    static Target of(String method, String path) {
        if (method.equals("POST")) {
            Matcher byPath = DEPLOYMENT_CALL.matcher(path);
            if (byPath.matches()) {
                return new ModelCall(operation(byPath.group(2)), Optional.of(byPath.group(1)));
            }
            Matcher byModel = MODEL_IN_BODY_CALL.matcher(path);
            if (byModel.matches()) {
                return new ModelCall(operation(byModel.group(1) != null ? byModel.group(1) : byModel.group(2)), Optional.empty());
            }
        }
        Matcher objects = OBJECTS.matcher(path);
        if (objects.matches()) {
            String collection = objects.group(1) != null ? objects.group(1) : objects.group(2);
            String rest = objects.group(3);
            return new ObjectCall(collection, rest.isEmpty() ? List.of() : List.of(rest.substring(1).split("/")));
        }
        return new Unknown();
    }

    private static Operation operation(String path) {
        return switch (path) {
            case "chat/completions" -> Operation.CHAT;
            case "embeddings" -> Operation.EMBEDDINGS;
            default -> Operation.RESPONSES;
        };
    }
}
