package dev.spillway.proxy.forward;

import java.net.URI;
import org.eclipse.jetty.http.HttpFields;

/**
 * A client request as it will be replayed to each backend tried: the body is buffered so that it
 * can be sent again after a failover.
 *
 * @param target  the raw path and query, such as {@code /openai/deployments/chat/chat/completions?api-version=2024-10-21}, parsed once
 * @param headers the headers to forward, already filtered by {@link HeaderPolicy}
 */
public record UpstreamRequest(String method, URI target, HttpFields headers, byte[] body) {

    /** The path and query as sent, for logs. */
    public String pathAndQuery() {
        return target.toString();
    }
}
