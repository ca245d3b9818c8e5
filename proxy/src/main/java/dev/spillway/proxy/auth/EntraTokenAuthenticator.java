package dev.spillway.proxy.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.JWSVerifierFactory;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.ResourceRetriever;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.spillway.proxy.config.AuthConfig;
import java.io.IOException;
import java.text.ParseException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entra ID access tokens ({@code Authorization: Bearer <JWT>}), as a chat app's managed identity
 * gets them for {@code https://cognitiveservices.azure.com}. The signature is checked with
 * Nimbus JOSE+JWT against the tenant's published keys (RS256 only, so {@code none} and HMAC
 * tokens never pass); then issuer, tenant, audience, expiry and not-before, each with a message
 * of its own; then the optional allow-list of principals. A token whose signature verified is
 * remembered by its hash until it expires ({@link VerifiedTokens}); its claims are checked again
 * on every request.
 */
public final class EntraTokenAuthenticator implements Authenticator {

    static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
    /** Distinct live tokens remembered as verified; a tenant's callers rarely hold more at once. */
    static final int MAX_VERIFIED_TOKENS = 10_000;
    private static final Logger log = LoggerFactory.getLogger(EntraTokenAuthenticator.class);

    private final String tenantId;
    private final Set<String> audiences;
    private final Set<String> issuers;
    private final Set<String> allowedPrincipals;
    /** Named callers ({@code SPILLWAY_CALLERS}) by their principals, lower-cased. */
    private final Map<String, String> callerOfPrincipal;
    private final OpenIdMetadata metadata;
    private final ResourceRetriever retriever;
    private final InstantSource clock;
    private final ReentrantLock building = new ReentrantLock();
    private final JWSVerifierFactory verifiers;
    private final VerifiedTokens verified = new VerifiedTokens(MAX_VERIFIED_TOKENS, CLOCK_SKEW.toMillis());
    private volatile DefaultJWTProcessor<SecurityContext> processor;

    public EntraTokenAuthenticator(AuthConfig.EntraConfig config, List<String> allowedPrincipals, InstantSource clock) {
        this(config, allowedPrincipals, Map.of(), clock);
    }

    /**
     * @param callerPrincipals each named caller's principals, by the caller's name: a token of one is that caller's, and is
     *                         allowed in even when {@code allowedPrincipals} does not list it
     */
    public EntraTokenAuthenticator(AuthConfig.EntraConfig config, List<String> allowedPrincipals, Map<String, List<String>> callerPrincipals,
                                   InstantSource clock) {
        this(config, allowedPrincipals, callerPrincipals, new DefaultResourceRetriever(5_000, 5_000, 512 * 1024), clock,
                new DefaultJWSVerifierFactory());
    }

    EntraTokenAuthenticator(AuthConfig.EntraConfig config, List<String> allowedPrincipals, ResourceRetriever retriever, InstantSource clock) {
        this(config, allowedPrincipals, Map.of(), retriever, clock, new DefaultJWSVerifierFactory());
    }

    /** @param verifiers makes the RS256 verifiers; tests count them */
    EntraTokenAuthenticator(AuthConfig.EntraConfig config, List<String> allowedPrincipals, ResourceRetriever retriever, InstantSource clock,
                            JWSVerifierFactory verifiers) {
        this(config, allowedPrincipals, Map.of(), retriever, clock, verifiers);
    }

    EntraTokenAuthenticator(AuthConfig.EntraConfig config, List<String> allowedPrincipals, Map<String, List<String>> callerPrincipals,
                            ResourceRetriever retriever, InstantSource clock, JWSVerifierFactory verifiers) {
        Map<String, String> callers = new java.util.HashMap<>();
        callerPrincipals.forEach((caller, principals) -> principals.forEach(p -> callers.put(p.toLowerCase(Locale.ROOT), caller)));
        this.callerOfPrincipal = Map.copyOf(callers);
        this.verifiers = verifiers;
        this.tenantId = config.tenantId();
        this.audiences = config.audiences().stream().map(EntraTokenAuthenticator::withoutTrailingSlash).collect(Collectors.toUnmodifiableSet());
        this.issuers = Set.of("https://sts.windows.net/" + tenantId + "/", config.authority() + "/" + tenantId + "/v2.0");
        this.allowedPrincipals = allowedPrincipals.stream().map(p -> p.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        this.retriever = retriever;
        this.clock = clock;
        this.metadata = new OpenIdMetadata(OpenIdMetadata.locationFor(config.authority(), tenantId), retriever, clock);
    }

    @Override
    public AuthResult authenticate(Function<String, String> header) {
        String token = Authenticator.bearer(header);
        if (token == null || !looksLikeJwt(token)) {
            return new AuthResult.NotPresented();
        }
        JWTClaimsSet known = verified.get(token, clock.millis());
        if (known != null) {
            try {
                return checkClaims(known, metadata.get().issuer());
            } catch (IOException e) {
                return metadataUnavailable(e);
            }
        }
        JWT parsed;
        try {
            parsed = JWTParser.parse(token);
            parsed.getJWTClaimsSet();
        } catch (ParseException e) {
            return reject("invalid_token", "The bearer token is malformed.");
        }
        if (!(parsed instanceof SignedJWT signed)) {
            return reject("invalid_token", "The bearer token is not signed; only RS256-signed Entra ID tokens are accepted.");
        }
        JWSHeader jws = signed.getHeader();
        if (!JWSAlgorithm.RS256.equals(jws.getAlgorithm())) {
            return reject("invalid_token", "The bearer token's algorithm is not accepted; only RS256-signed Entra ID tokens are.");
        }
        OpenIdMetadata.Document document;
        DefaultJWTProcessor<SecurityContext> verifier;
        try {
            document = metadata.get();
            verifier = processor(document);
        } catch (IOException e) {
            return metadataUnavailable(e);
        }
        JWTClaimsSet claims;
        try {
            claims = verifier.process(signed, null);
        } catch (BadJOSEException e) {
            return reject("invalid_token", "The bearer token's signature could not be verified with the tenant's signing keys.");
        } catch (JOSEException e) {
            return reject("invalid_token", "The bearer token's signature could not be verified.");
        }
        verified.put(token, claims, clock.millis());
        return checkClaims(claims, document.issuer());
    }

    private static AuthResult metadataUnavailable(IOException e) {
        log.warn("Cannot validate Entra ID tokens: tenant metadata unavailable ({})", e.getClass().getSimpleName());
        return new AuthResult.Rejected(503, "auth_unavailable",
                "The proxy cannot validate Entra ID tokens right now (tenant metadata unreachable). Retry shortly.");
    }

    private AuthResult checkClaims(JWTClaimsSet claims, String metadataIssuer) {
        String issuer = claims.getIssuer();
        if (issuer == null || !(issuer.equals(metadataIssuer) || issuers.contains(issuer))) {
            return reject("invalid_token", "The bearer token was not issued by this proxy's Entra ID tenant.");
        }
        Object tid = claims.getClaim("tid");
        if (tid != null && !tenantId.equalsIgnoreCase(tid.toString())) {
            return reject("invalid_token", "The bearer token belongs to another Entra ID tenant.");
        }
        List<String> tokenAudiences = claims.getAudience();
        if (tokenAudiences == null || tokenAudiences.stream().map(EntraTokenAuthenticator::withoutTrailingSlash).noneMatch(audiences::contains)) {
            return reject("invalid_token", "The bearer token is for another audience; request a token for "
                    + audiences.stream().sorted().collect(Collectors.joining(" or ")) + ".");
        }
        long now = clock.millis();
        Date expires = claims.getExpirationTime();
        if (expires == null) {
            return reject("invalid_token", "The bearer token has no expiry.");
        }
        if (now > expires.getTime() + CLOCK_SKEW.toMillis()) {
            return reject("invalid_token", "The bearer token has expired; get a new one.");
        }
        Date notBefore = claims.getNotBeforeTime();
        if (notBefore != null && now < notBefore.getTime() - CLOCK_SKEW.toMillis()) {
            return reject("invalid_token", "The bearer token is not valid yet.");
        }
        String oid = stringClaim(claims, "oid");
        String appId = stringClaim(claims, "appid") != null ? stringClaim(claims, "appid") : stringClaim(claims, "azp");
        String principal = oid != null ? oid : appId != null ? appId : "unknown";
        // The object id names one identity; the app id, every identity of an app: the narrower wins.
        String caller = oid != null && callerOfPrincipal.containsKey(oid.toLowerCase(Locale.ROOT)) ? callerOfPrincipal.get(oid.toLowerCase(Locale.ROOT))
                : appId != null ? callerOfPrincipal.get(appId.toLowerCase(Locale.ROOT)) : null;
        if (caller != null) {
            return new AuthResult.Allowed("entra:" + principal, caller);
        }
        if (!allowedPrincipals.isEmpty() && !(oid != null && allowedPrincipals.contains(oid)) && !(appId != null && allowedPrincipals.contains(appId))) {
            return new AuthResult.Rejected(403, "principal_not_allowed", "This identity (object id " + (oid == null ? "none" : oid)
                    + ", app id " + (appId == null ? "none" : appId) + ") is not on the proxy's allow-list (SPILLWAY_ALLOWED_PRINCIPALS).");
        }
        return new AuthResult.Allowed("entra:" + principal);
    }

    /** Built once the metadata names the key location; {@link TenantSigningKeys} says how long keys are kept. */
    private DefaultJWTProcessor<SecurityContext> processor(OpenIdMetadata.Document document) {
        DefaultJWTProcessor<SecurityContext> built = processor;
        if (built != null) {
            return built;
        }
        building.lock();
        try {
            if (processor == null) {
                JWKSource<SecurityContext> keys = new TenantSigningKeys(document.jwksUri(), retriever, clock);
                DefaultJWTProcessor<SecurityContext> jwt = new DefaultJWTProcessor<>();
                jwt.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, keys));
                jwt.setJWSVerifierFactory(verifiers);
                // Claims are checked in checkClaims, so that each failure gets a message of its own.
                jwt.setJWTClaimsSetVerifier(null);
                processor = jwt;
            }
            return processor;
        } finally {
            building.unlock();
        }
    }

    private static String stringClaim(JWTClaimsSet claims, String name) {
        Object value = claims.getClaim(name);
        return value instanceof String text && !text.isBlank() ? text.toLowerCase(Locale.ROOT) : null;
    }

    private static AuthResult reject(String code, String message) {
        return new AuthResult.Rejected(401, code, message);
    }

    private static boolean looksLikeJwt(String token) {
        int first = token.indexOf('.');
        return first > 0 && token.indexOf('.', first + 1) > first;
    }

    private static String withoutTrailingSlash(String value) {
        return value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
    }
}
