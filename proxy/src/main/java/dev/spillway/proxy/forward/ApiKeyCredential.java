package dev.spillway.proxy.forward;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.PreEncodedHttpField;

/** The account key, sent as {@code api-key}. */
public final class ApiKeyCredential implements BackendCredential {

    private final PreEncodedHttpField header;

    public ApiKeyCredential(String apiKey) {
        this.header = new PreEncodedHttpField("api-key", apiKey);
    }

    @Override
    public void authorize(HttpFields.Mutable headers) {
        headers.put(header);
    }

    @Override
    public String toString() {
        return "ApiKeyCredential[***]";
    }
}
