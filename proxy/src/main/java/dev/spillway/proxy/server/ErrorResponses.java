package dev.spillway.proxy.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;

/**
 * Errors the proxy itself produces, in Azure OpenAI's shape: {@code {"error":{"code":"...","message":"..."}}},
 * so that OpenAI client libraries surface the message. Messages say what to fix, never internals.
 */
final class ErrorResponses {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ErrorResponses() {}

    static void send(Context ctx, int status, String code, String message) {
        ctx.status(status).contentType("application/json").result(body(code, message));
    }

    static String body(String code, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("code", code).put("message", message);
        return body.toString();
    }
}
