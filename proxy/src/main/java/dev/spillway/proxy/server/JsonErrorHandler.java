package dev.spillway.proxy.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty answers itself, before any handler runs (a request line it cannot parse, an
 * undecodable path, headers over the limit), in the same JSON shape as every other error the proxy
 * produces, instead of Jetty's HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause, Callback callback) {
        String reason = message == null || message.isBlank() ? "" : " (" + message + ")";
        String body = switch (code) {
            case 400 -> ErrorResponses.body("bad_request", "The proxy could not parse this request" + reason + ". Check the request "
                    + "line and headers. Send the canonical path: no '.' or '..' segments, no '//', no ';', no '\\', and no "
                    + "percent-encoded '/', '\\', '.' or '%'; percent-encoding must be valid UTF-8.");
            case 431 -> ErrorResponses.body("request_headers_too_large", "The request headers are larger than this proxy's limit. "
                    + "Send smaller headers, or raise SPILLWAY_MAX_HEADER_BYTES on the proxy.");
            default -> ErrorResponses.body("http_" + code, "The proxy could not handle this request" + reason + ".");
        };
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    }
}
