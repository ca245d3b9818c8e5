package dev.spillway.proxy.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Errors the proxy itself produces, in Azure OpenAI's shape: {@code {"error":{"code":"...","message":"..."}}},
 * so that OpenAI client libraries surface the message. Messages say what to fix, never internals.
 * Written to a Javalin context (the status routes) or a Jetty core response (the forward path).
 */
final class ErrorResponses {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ErrorResponses() {}

    static void send(Context ctx, int status, String code, String message) {
        ctx.status(status).contentType("application/json").result(body(code, message));
    }

    static void send(Context ctx, ErrorAnswer answer) {
        answer.headers().forEach(ctx::header);
        send(ctx, answer.status(), answer.code(), answer.message());
    }

    /** Writes the whole answer and completes the exchange through {@code callback}. */
    static void write(Response response, Callback callback, ErrorAnswer answer) {
        response.setStatus(answer.status());
        answer.headers().forEach((name, value) -> response.getHeaders().put(name, value));
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body(answer.code(), answer.message()).getBytes(StandardCharsets.UTF_8)), callback);
    }

    static String body(String code, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("code", code).put("message", message);
        return body.toString();
    }
}
