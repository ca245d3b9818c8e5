package dev.spillway.proxy.forward;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;

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

    /** The same rules for the fields Jetty recognises, decided without lower-casing their names. */
    private static final Set<HttpHeader> REQUEST_DROPPED = known(HOP_BY_HOP, REQUEST_ONLY_LOCAL, CLIENT_CREDENTIALS);
    private static final Set<HttpHeader> RESPONSE_DROPPED = known(HOP_BY_HOP, Set.of("set-cookie", "date"));

    private HeaderPolicy() {}

    public static boolean forwardsRequestHeader(HttpField field, Set<String> connectionTokens) {
        HttpHeader header = field.getHeader();
        if (header == null) {
            return forwardsRequestHeader(field.getName(), connectionTokens);
        }
        return !REQUEST_DROPPED.contains(header) && (connectionTokens.isEmpty() || !connectionTokens.contains(header.lowerCaseName()));
    }

    public static boolean forwardsResponseHeader(HttpField field, Set<String> connectionTokens) {
        HttpHeader header = field.getHeader();
        if (header == null) {
            return forwardsResponseHeader(field.getName(), connectionTokens);
        }
        return !RESPONSE_DROPPED.contains(header) && (connectionTokens.isEmpty() || !connectionTokens.contains(header.lowerCaseName()));
    }

    @SafeVarargs
    private static Set<HttpHeader> known(Set<String>... names) {
        EnumSet<HttpHeader> known = EnumSet.noneOf(HttpHeader.class);
        for (HttpHeader header : HttpHeader.values()) {
            for (Set<String> set : names) {
                if (set.contains(header.lowerCaseName())) {
                    known.add(header);
                }
            }
        }
        return known;
    }

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
        // x-spillway-* are the proxy's own (the answering backend, the caller's budget): an account cannot set them.
        return !HOP_BY_HOP.contains(lower) && !connectionTokens.contains(lower)
                && !lower.equals("set-cookie") && !lower.equals("date") && !lower.startsWith("x-spillway-");
    }

    /** @param connectionHeaders every value of a message's {@code Connection} header (it may be repeated) */
    public static Set<String> connectionTokens(Iterable<String> connectionHeaders) {
        if (!connectionHeaders.iterator().hasNext()) {
            return Set.of();
        }
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
