package dev.spillway.proxy.auth;

import java.util.function.Function;

/** Checks one kind of inbound credential. */
public interface Authenticator {

    /** @param header looks a request header up by name, case-insensitively; null when absent */
    AuthResult authenticate(Function<String, String> header);

    /** The credential presented as {@code Authorization: Bearer X}, or null. */
    static String bearer(Function<String, String> header) {
        String authorization = header.apply("Authorization");
        if (authorization == null || authorization.length() < 7 || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }
}
