package dev.spillway.proxy.forward;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.http.HttpFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Entra ID token for Azure OpenAI, from the managed identity (or any azure-identity credential),
 * cached and refreshed ahead of expiry so that requests never wait on the token endpoint. If a
 * refresh fails while the cached token is still valid, the cached token keeps being used.
 */
public final class EntraTokenCredential implements BackendCredential {

    public static final String SCOPE = "https://cognitiveservices.azure.com/.default";
    static final Duration REFRESH_AHEAD = Duration.ofMinutes(5);
    static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(10);
    private static final Logger log = LoggerFactory.getLogger(EntraTokenCredential.class);

    private final TokenCredential credential;
    private final TokenRequestContext request = new TokenRequestContext().addScopes(SCOPE);
    private final InstantSource clock;
    // A lock rather than synchronized: the token call blocks, and must not pin a virtual thread's carrier.
    private final ReentrantLock refreshing = new ReentrantLock();
    private volatile AccessToken cached;
    private volatile long nextAttemptMillis;

    public EntraTokenCredential(TokenCredential credential, InstantSource clock) {
        this.credential = credential;
        this.clock = clock;
    }

    @Override
    public void authorize(HttpFields.Mutable headers) {
        headers.put("Authorization", "Bearer " + token());
    }

    String token() {
        AccessToken token = cached;
        if (token != null && !refreshDue(token)) {
            return token.getToken();
        }
        refreshing.lock();
        try {
            token = cached;
            if (token != null && !refreshDue(token)) {
                return token.getToken();
            }
            long now = clock.millis();
            if (token != null && now < nextAttemptMillis && !expired(token)) {
                return token.getToken();
            }
            try {
                AccessToken fresh = credential.getTokenSync(request);
                if (fresh == null) {
                    throw new IllegalStateException("the credential returned no token");
                }
                cached = fresh;
                return fresh.getToken();
            } catch (RuntimeException e) {
                nextAttemptMillis = now + RETRY_AFTER_FAILURE.toMillis();
                if (token != null && !expired(token)) {
                    log.warn("Could not refresh the backend token ({}); using the cached one until it expires", e.getClass().getSimpleName());
                    return token.getToken();
                }
                throw new CredentialUnavailableException("could not get an Entra ID token for the backends: " + e.getClass().getSimpleName(), e);
            }
        } finally {
            refreshing.unlock();
        }
    }

    private boolean refreshDue(AccessToken token) {
        return clock.millis() >= token.getExpiresAt().toInstant().toEpochMilli() - REFRESH_AHEAD.toMillis();
    }

    private boolean expired(AccessToken token) {
        return clock.millis() >= token.getExpiresAt().toInstant().toEpochMilli();
    }
}
