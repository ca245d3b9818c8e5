package dev.spillway.simulator.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;
import java.util.List;

/**
 * {@code GET /openai/v1/models}: the account's deployments, each as a model the v1 surface can be
 * asked for by name. The shape is openai-java's {@code Model} ({@code id}, {@code object: "model"},
 * {@code created}, {@code owned_by}, all required) in its {@code ModelListPageResponse}
 * ({@code object: "list"}, {@code data}); openai-python {@code types/model.py} has the same fields.
 */
public final class Models implements ObjectApi {

    private final List<String> deployments;
    private final long createdAt;

    /** @param createdAt epoch seconds; every deployment reports the account's start */
    public Models(Collection<String> deployments, long createdAt) {
        this.deployments = deployments.stream().sorted().toList();
        this.createdAt = createdAt;
    }

    @Override
    public Answer handle(ObjectCall call) {
        if (call.is("GET", 0)) {
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            body.put("object", "list");
            body.putArray("data").addAll(deployments.stream().map(this::model).toList());
            return Answer.json(200, body);
        }
        if (call.is("GET", 1)) {
            String name = call.path().getFirst();
            if (deployments.contains(name)) {
                return Answer.json(200, model(name));
            }
            // The service's words, as OpenAI-compatible services repeat them: 404, code model_not_found.
            return ApiErrors.invalidRequest(404, "The model `" + name + "` does not exist or you do not have access to it.", null,
                    "model_not_found");
        }
        return ApiErrors.resourceNotFound();
    }

    private ObjectNode model(String deployment) {
        ObjectNode model = JsonNodeFactory.instance.objectNode();
        model.put("id", deployment).put("object", "model").put("created", createdAt).put("owned_by", "system");
        return model;
    }
}
