package dev.spillway.proxy.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.util.ResourceRetriever;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A tenant's OpenID configuration ({@code <authority>/<tenant>/v2.0/.well-known/openid-configuration}):
 * its issuer and where its signing keys are published. Fetched on first use and kept; a failed
 * fetch is not retried for a few seconds, so an outage of the metadata endpoint does not turn
 * every request into a slow outbound call.
 */
final class OpenIdMetadata {

    static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(5);

    /** The parts of the metadata document the proxy uses. */
    record Document(String issuer, URL jwksUri) {}

    private final URL location;
    private final ResourceRetriever retriever;
    private final InstantSource clock;
    private final ObjectMapper json = new ObjectMapper();
    private final ReentrantLock fetching = new ReentrantLock();
    private volatile Document document;
    private volatile long nextAttemptMillis;

    OpenIdMetadata(URL location, ResourceRetriever retriever, InstantSource clock) {
        this.location = location;
        this.retriever = retriever;
        this.clock = clock;
    }

    static URL locationFor(String authority, String tenantId) {
        try {
            return URI.create(authority + "/" + tenantId + "/v2.0/.well-known/openid-configuration").toURL();
        } catch (java.net.MalformedURLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a valid OpenID metadata location: " + authority, e);
        }
    }

    /** @throws IOException when the document cannot be had now */
    Document get() throws IOException {
        Document known = document;
        if (known != null) {
            return known;
        }
        fetching.lock();
        try {
            if (document != null) {
                return document;
            }
            if (clock.millis() < nextAttemptMillis) {
                throw new IOException("OpenID metadata unavailable (recent fetch failed)");
            }
            try {
                JsonNode root = json.readTree(retriever.retrieveResource(location).getContent());
                String issuer = root.path("issuer").asText("");
                String jwks = root.path("jwks_uri").asText("");
                if (issuer.isEmpty() || jwks.isEmpty()) {
                    throw new IOException("OpenID metadata at " + location + " lacks issuer or jwks_uri");
                }
                document = new Document(issuer, URI.create(jwks).toURL());
                return document;
            } catch (IOException | RuntimeException e) {
                nextAttemptMillis = clock.millis() + RETRY_AFTER_FAILURE.toMillis();
                throw e instanceof IOException io ? io : new IOException("unreadable OpenID metadata at " + location, e);
            }
        } finally {
            fetching.unlock();
        }
    }
}
