package dev.spillway.proxy.forward;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Which headers cross the proxy, in both directions. Hop-by-hop headers (RFC 9110 section 7.6.1)
 * belong to one connection and never cross: the fixed list, and whatever a message's own
 * {@code Connection} header names. The client's credentials never reach a backend: the proxy
 * supplies the backend's own credential instead.
 */
public final class HeaderPolicy {

    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
            "te", "trailer", "transfer-encoding", "upgrade");
    /** Set by the HTTP client from the target URL and the buffered body, or answered by the proxy itself. */
    private static final Set<String> REQUEST_ONLY_LOCAL = Set.of("host", "content-length", "expect");
    private static final Set<String> CLIENT_CREDENTIALS = Set.of("api-key", "authorization", "cookie");

    private HeaderPolicy() {}

    /**
     * @param connectionTokens the lower-cased tokens of the request's {@code Connection} header, which
     *                         name further hop-by-hop headers
     */
    public static boolean forwardsRequestHeader(String name, Set<String> connectionTokens) {
        String lower = name.toLowerCase(Locale.ROOT);
        return !HOP_BY_HOP.contains(lower) && !REQUEST_ONLY_LOCAL.contains(lower)
                && !CLIENT_CREDENTIALS.contains(lower) && !connectionTokens.contains(lower)
                && !lower.startsWith("x-spillway-");
    }

    /**
     * The proxy's server stamps its own {@code Date}; cookies are not the proxy's business to pass on.
     *
     * @param connectionTokens the lower-cased tokens of the response's {@code Connection} header
     */
    public static boolean forwardsResponseHeader(String name, Set<String> connectionTokens) {
        String lower = name.toLowerCase(Locale.ROOT);
        return !HOP_BY_HOP.contains(lower) && !connectionTokens.contains(lower)
                && !lower.equals("set-cookie") && !lower.equals("date");
    }

    /** @param connectionHeaders every value of a message's {@code Connection} header (it may be repeated) */
    public static Set<String> connectionTokens(Iterable<String> connectionHeaders) {
        Set<String> tokens = new HashSet<>();
        for (String header : connectionHeaders) {
            if (header == null) {
                continue;
            }
            for (String token : header.split(",")) {
                if (!token.isBlank()) {
                    tokens.add(token.trim().toLowerCase(Locale.ROOT));
                }
            }
        }
        return tokens;
    }
}
