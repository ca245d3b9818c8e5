package dev.spillway.simulator.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The error bodies the account answers with. Azure's own front door (auth, routing, quota) says
 * {@code {"error":{"code","message"}}}; the OpenAI-compatible APIs behind it (responses, files,
 * batches) say {@code {"error":{"message","type","param","code"}}}, as api.openai.com does.
 */
public final class ApiErrors {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ApiErrors() {}

    public static Answer azure(int status, String code, String message) {
        ObjectNode body = NODES.objectNode();
        body.putObject("error").put("code", code).put("message", message);
        return Answer.json(status, body);
    }

    /** What any path or method the account does not serve gets. */
    public static Answer resourceNotFound() {
        return azure(404, "404", "Resource not found");
    }

    /** An {@code invalid_request_error}; {@code param} and {@code code} may be null, as the service sends them. */
    public static Answer invalidRequest(int status, String message, String param, String code) {
        ObjectNode body = NODES.objectNode();
        ObjectNode error = body.putObject("error");
        error.put("message", message).put("type", "invalid_request_error");
        if (param == null) {
            error.putNull("param");
        } else {
            error.put("param", param);
        }
        if (code == null) {
            error.putNull("code");
        } else {
            error.put("code", code);
        }
        return Answer.json(status, body);
    }

    /** A required field absent from a JSON body, in the words the service uses. */
    public static Answer missingParameter(String param) {
        return invalidRequest(400, "Missing required parameter: '" + param + "'.", param, "missing_required_parameter");
    }

    /** Azure's shape for a prompt the content filter refuses: 400, code content_filter, the filter's verdict inside. */
    public static Answer contentFiltered() {
        ObjectNode body = NODES.objectNode();
        ObjectNode error = body.putObject("error");
        error.putNull("type");
        error.put("message", "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
                + "Please modify your prompt and retry.");
        error.put("param", "prompt").put("code", "content_filter").put("status", 400);
        ObjectNode inner = error.putObject("innererror");
        inner.put("code", "ResponsibleAIPolicyViolation");
        ObjectNode result = inner.putObject("content_filter_result");
        result.putObject("hate").put("filtered", false).put("severity", "safe");
        result.putObject("self_harm").put("filtered", false).put("severity", "safe");
        result.putObject("sexual").put("filtered", false).put("severity", "safe");
        result.putObject("violence").put("filtered", true).put("severity", "high");
        return Answer.json(400, body);
    }
}
