package dev.spillway.proxy.auth;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.CachingJWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.OutageTolerantJWKSetSource;
import com.nimbusds.jose.jwk.source.RateLimitedJWKSetSource;
import com.nimbusds.jose.jwk.source.URLBasedJWKSetSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.ResourceRetriever;
import java.net.URL;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;

/**
 * The tenant's signing keys: cached for {@link #CACHED_FOR}, fetched again at most once per
 * {@link #REFRESH_MIN_INTERVAL} when a token names an unknown key, and kept for
 * {@link #KEPT_THROUGH_OUTAGE} after the last good fetch while the key endpoint is down.
 *
 * <p>The same chain of Nimbus sources {@code JWKSourceBuilder} builds, but timed by the proxy's
 * clock: the builder's source reads the system clock, so no test could make its cache expire.
 */
final class TenantSigningKeys implements JWKSource<SecurityContext> {

    static final Duration CACHED_FOR = Duration.ofHours(12);
    static final Duration REFRESH_MIN_INTERVAL = Duration.ofMinutes(1);
    /**
     * Longer than the cache: with the two equal, the copy kept for an outage would expire at the very
     * moment the cache does, and an outage of the key endpoint would lock every client out at once.
     */
    static final Duration KEPT_THROUGH_OUTAGE = Duration.ofHours(24);
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(15);

    private final JWKSetSource<SecurityContext> source;
    private final InstantSource clock;

    TenantSigningKeys(URL jwksUri, ResourceRetriever retriever, InstantSource clock) {
        this.clock = clock;
        JWKSetSource<SecurityContext> fetched = new URLBasedJWKSetSource<>(jwksUri, retriever);
        JWKSetSource<SecurityContext> outageTolerant = new OutageTolerantJWKSetSource<>(fetched, KEPT_THROUGH_OUTAGE.toMillis(), null);
        JWKSetSource<SecurityContext> rateLimited = new RateLimitedJWKSetSource<>(outageTolerant, REFRESH_MIN_INTERVAL.toMillis(), null);
        this.source = new CachingJWKSetSource<>(rateLimited, CACHED_FOR.toMillis(), FETCH_TIMEOUT.toMillis(), null);
    }

    @Override
    public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
        long now = clock.millis();
        JWKSet cached = source.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), now, context);
        List<JWK> keys = selector.select(cached);
        if (keys.isEmpty()) {
            // A key id the cached set does not have: the tenant may have rotated its keys.
            JWKSet refreshed = source.getJWKSet(JWKSetCacheRefreshEvaluator.referenceComparison(cached), now, context);
            if (refreshed != cached) {
                keys = selector.select(refreshed);
            }
        }
        return keys;
    }
}
