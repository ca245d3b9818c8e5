package dev.spillway.proxy.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An answer the proxy makes up itself: status, Azure-style error code and message, and the headers
 * that tell a client when to come back. A value, so that deciding on an answer and writing it
 * are apart.
 */
record ErrorAnswer(int status, String code, String message, Map<String, String> headers) {

    ErrorAnswer {
        headers = Map.copyOf(headers);
    }

    static ErrorAnswer of(int status, String code, String message) {
        return new ErrorAnswer(status, code, message, Map.of());
    }

    ErrorAnswer withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new ErrorAnswer(status, code, message, more);
    }

    static ErrorAnswer of(BadRequestException e) {
        return of(e.status(), e.code(), e.getMessage());
    }
}
