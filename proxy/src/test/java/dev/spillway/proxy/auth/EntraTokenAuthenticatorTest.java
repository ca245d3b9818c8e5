package dev.spillway.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.spillway.proxy.config.AuthConfig;
import dev.spillway.proxy.testing.FakeEntraTenant;
import dev.spillway.proxy.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EntraTokenAuthenticatorTest {

    private final FakeEntraTenant tenant = new FakeEntraTenant();

    @AfterEach
    void stop() {
        tenant.close();
    }

    private EntraTokenAuthenticator authenticator(List<String> audiences, List<String> allowed) {
        return new EntraTokenAuthenticator(new AuthConfig.EntraConfig(tenant.tenantId(), audiences, tenant.authority()), allowed,
                InstantSource.system());
    }

    private EntraTokenAuthenticator authenticator() {
        return authenticator(List.of(FakeEntraTenant.AUDIENCE), List.of());
    }

    private static AuthResult present(EntraTokenAuthenticator authenticator, String token) {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.put("Authorization", "Bearer " + token);
        return authenticator.authenticate(headers::get);
    }

    private static void assertRejected(AuthResult result, String messagePart, String token) {
        assertThat(result).isInstanceOf(AuthResult.Rejected.class);
        AuthResult.Rejected rejected = (AuthResult.Rejected) result;
        assertThat(rejected.status()).isEqualTo(401);
        assertThat(rejected.message()).contains(messagePart).doesNotContain(token);
    }

    @Test
    void tokenWithTheV1IssuerIsAllowed() {
        assertThat(present(authenticator(), tenant.token())).isInstanceOf(AuthResult.Allowed.class);
    }

    @Test
    void tokenWithTheV2IssuerIsAllowed() {
        assertThat(present(authenticator(), tenant.token(c -> c.issuer(tenant.issuerV2())))).isInstanceOf(AuthResult.Allowed.class);
    }

    @Test
    void expiredTokenIsRejected() {
        String token = tenant.token(c -> c.expirationTime(Date.from(Instant.now().minus(Duration.ofMinutes(5)))));

        assertRejected(present(authenticator(), token), "expired", token);
    }

    @Test
    void tokenNotValidYetIsRejected() {
        String token = tenant.token(c -> c.notBeforeTime(Date.from(Instant.now().plus(Duration.ofMinutes(10)))));

        assertRejected(present(authenticator(), token), "not valid yet", token);
    }

    @Test
    void tokenExpiredWithinTheClockSkewIsStillAllowed() {
        String token = tenant.token(c -> c.expirationTime(Date.from(Instant.now().minusSeconds(20))));

        assertThat(present(authenticator(), token)).isInstanceOf(AuthResult.Allowed.class);
    }

    @Test
    void tokenForAnotherAudienceIsRejected() {
        String token = tenant.token(c -> c.audience("https://management.azure.com"));

        assertRejected(present(authenticator(), token), "another audience", token);
    }

    @Test
    void appIdFormOfTheAudienceIsAcceptedWhenConfigured() {
        String appIdAudience = "7d312290-28c8-473c-a0ed-8e53749b6d6d";
        String token = tenant.token(c -> c.audience(appIdAudience));

        assertThat(present(authenticator(List.of(FakeEntraTenant.AUDIENCE, appIdAudience), List.of()), token))
                .isInstanceOf(AuthResult.Allowed.class);
    }

    @Test
    void tokenFromAnotherTenantIsRejected() {
        String other = "99999999-0000-0000-0000-000000000000";
        String token = tenant.token(c -> c.issuer("https://sts.windows.net/" + other + "/").claim("tid", other));

        assertRejected(present(authenticator(), token), "not issued by this proxy's Entra ID tenant", token);
    }

    @Test
    void tokenSignedByAnUnpublishedKeyIsRejected() {
        RSAKey forger = FakeEntraTenant.newKey(tenant.signingKey().getKeyID());
        String token = FakeEntraTenant.sign(tenant.claims().build(), forger);

        assertRejected(present(authenticator(), token), "signature could not be verified", token);
    }

    @Test
    void unknownKeyIdFetchesTheKeysAgainSoRotationIsPickedUp() {
        EntraTokenAuthenticator authenticator = authenticator();
        assertThat(present(authenticator, tenant.token())).isInstanceOf(AuthResult.Allowed.class);

        tenant.rotate("key-2");

        assertThat(present(authenticator, tenant.token())).isInstanceOf(AuthResult.Allowed.class);
        assertThat(tenant.keyFetches()).isEqualTo(2);
    }

    @Test
    void unknownKeyIdsRefetchTheKeysAtMostOncePerMinute() {
        EntraTokenAuthenticator authenticator = authenticator();
        present(authenticator, tenant.token());

        for (int i = 0; i < 10; i++) {
            String forged = FakeEntraTenant.sign(tenant.claims().build(), FakeEntraTenant.newKey("unknown-" + i));
            assertThat(present(authenticator, forged)).isInstanceOf(AuthResult.Rejected.class);
        }

        assertThat(tenant.keyFetches()).isLessThanOrEqualTo(2);
    }

    @Test
    void freshCachedKeysKeepWorkingWhileTheTenantIsUnreachable() {
        EntraTokenAuthenticator authenticator = authenticator();
        assertThat(present(authenticator, tenant.token())).isInstanceOf(AuthResult.Allowed.class);
        String later = tenant.token();

        tenant.close();

        assertThat(present(authenticator, later)).isInstanceOf(AuthResult.Allowed.class);
    }

    @Test
    void keysKeepWorkingOnceTheirCacheHasExpiredWhileTheKeyEndpointIsDown() {
        ManualClock clock = new ManualClock(Instant.now());
        EntraTokenAuthenticator authenticator = counted(new CountingVerifiers(), clock);
        assertThat(present(authenticator, tenant.tokenAt(clock.instant()))).isInstanceOf(AuthResult.Allowed.class);
        tenant.takeKeysDown();

        // README: keys cached 12 h. Past that the proxy asks again, the endpoint fails, and the keys it had are kept.
        clock.advance(Duration.ofHours(12).plusMinutes(1));
        AuthResult afterExpiry = present(authenticator, tenant.tokenAt(clock.instant()));

        assertThat(tenant.keyFetches()).as("the cache expired, so the keys were asked for again").isEqualTo(2);
        assertThat(afterExpiry).isInstanceOf(AuthResult.Allowed.class);
    }

    @Test
    void cachedKeysAreNotFetchedAgainWithinTwelveHours() {
        ManualClock clock = new ManualClock(Instant.now());
        EntraTokenAuthenticator authenticator = counted(new CountingVerifiers(), clock);
        assertThat(present(authenticator, tenant.tokenAt(clock.instant()))).isInstanceOf(AuthResult.Allowed.class);

        clock.advance(Duration.ofHours(12).minusMinutes(1));
        assertThat(present(authenticator, tenant.tokenAt(clock.instant()))).isInstanceOf(AuthResult.Allowed.class);
        assertThat(tenant.keyFetches()).as("11 h 59 min on").isEqualTo(1);

        clock.advance(Duration.ofMinutes(2));
        assertThat(present(authenticator, tenant.tokenAt(clock.instant()))).isInstanceOf(AuthResult.Allowed.class);
        assertThat(tenant.keyFetches()).as("12 h 1 min on").isEqualTo(2);
    }

    private AuthResult presentedAt(Instant now, UnaryOperator<JWTClaimsSet.Builder> change) {
        ManualClock clock = new ManualClock(now);
        return present(counted(new CountingVerifiers(), clock), tenant.token(change));
    }

    @Test
    void tokenExpired59SecondsAgoIsAllowed() {
        Instant expiry = Instant.now().plus(Duration.ofMinutes(30));

        assertThat(presentedAt(expiry.plusSeconds(59), c -> c.expirationTime(Date.from(expiry)))).isInstanceOf(AuthResult.Allowed.class);
    }

    @Test
    void tokenExpired61SecondsAgoIsRejected() {
        Instant expiry = Instant.now().plus(Duration.ofMinutes(30));

        assertThat(presentedAt(expiry.plusSeconds(61), c -> c.expirationTime(Date.from(expiry))))
                .isEqualTo(new AuthResult.Rejected(401, "invalid_token", "The bearer token has expired; get a new one."));
    }

    @Test
    void tokenValidIn59SecondsIsAllowed() {
        Instant notBefore = Instant.now().plus(Duration.ofMinutes(10));

        assertThat(presentedAt(notBefore.minusSeconds(59), c -> c.notBeforeTime(Date.from(notBefore)))).isInstanceOf(AuthResult.Allowed.class);
    }

    @Test
    void tokenValidIn61SecondsIsRejected() {
        Instant notBefore = Instant.now().plus(Duration.ofMinutes(10));

        assertThat(presentedAt(notBefore.minusSeconds(61), c -> c.notBeforeTime(Date.from(notBefore))))
                .isEqualTo(new AuthResult.Rejected(401, "invalid_token", "The bearer token is not valid yet."));
    }

    @Test
    void unsignedTokenIsRejected() {
        String token = new PlainJWT(tenant.claims().build()).serialize();

        assertRejected(present(authenticator(), token), "not signed", token);
    }

    @Test
    void hmacTokenSignedWithThePublicKeyIsRejected() throws Exception {
        byte[] publicKey = tenant.signingKey().toRSAPublicKey().getEncoded();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(tenant.signingKey().getKeyID()).build(),
                tenant.claims().build());
        jwt.sign(new MACSigner(publicKey));
        String token = jwt.serialize();

        assertRejected(present(authenticator(), token), "algorithm is not accepted", token);
    }

    @Test
    void malformedTokenIsRejected() {
        String token = "eyJhbGciOiJSUzI1NiJ9.not-base64!.sig";

        assertRejected(present(authenticator(), token), "malformed", token);
    }

    @Test
    void tokenWithTamperedClaimsIsRejected() throws Exception {
        String[] parts = tenant.token().split("\\.");
        String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                JWTClaimsSet.parse(Map.of("iss", tenant.issuerV1(), "aud", FakeEntraTenant.AUDIENCE, "oid", "admin",
                        "exp", Instant.now().plusSeconds(3600).getEpochSecond())).toString().getBytes()) + "." + parts[2];

        assertRejected(present(authenticator(), tampered), "signature", tampered);
    }

    @Test
    void principalOnTheAllowListIsAllowed() {
        AuthResult result = present(authenticator(List.of(FakeEntraTenant.AUDIENCE), List.of("11111111-2222-3333-4444-555555555555")),
                tenant.token());

        assertThat(result).isEqualTo(new AuthResult.Allowed("entra:11111111-2222-3333-4444-555555555555"));
    }

    @Test
    void appIdOnTheAllowListIsAllowed() {
        AuthResult result = present(authenticator(List.of(FakeEntraTenant.AUDIENCE), List.of("66666666-7777-8888-9999-000000000000")),
                tenant.token());

        assertThat(result).isInstanceOf(AuthResult.Allowed.class);
    }

    @Test
    void validTokenOfAPrincipalNotOnTheAllowListGets403() {
        AuthResult result = present(authenticator(List.of(FakeEntraTenant.AUDIENCE), List.of("someone-else")), tenant.token());

        assertThat(result).isInstanceOf(AuthResult.Rejected.class);
        assertThat(((AuthResult.Rejected) result).status()).isEqualTo(403);
    }

    @Test
    void bearerThatIsNoJwtIsLeftToOtherAuthenticators() {
        assertThat(present(authenticator(), "plain-api-key")).isInstanceOf(AuthResult.NotPresented.class);
    }

    @Test
    void unreachableTenantMetadataGives503NotAnOpenDoor() {
        String token = tenant.token();
        tenant.close();

        AuthResult result = present(authenticator(), token);

        assertThat(result).isInstanceOf(AuthResult.Rejected.class);
        assertThat(((AuthResult.Rejected) result).status()).isEqualTo(503);
    }

    /** Counts the RS256 verifications the authenticator performs. */
    private static final class CountingVerifiers extends com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory {
        final java.util.concurrent.atomic.AtomicInteger created = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public com.nimbusds.jose.JWSVerifier createJWSVerifier(JWSHeader header, java.security.Key key) throws com.nimbusds.jose.JOSEException {
            created.incrementAndGet();
            return super.createJWSVerifier(header, key);
        }
    }

    private EntraTokenAuthenticator counted(CountingVerifiers verifiers, InstantSource clock) {
        return new EntraTokenAuthenticator(new AuthConfig.EntraConfig(tenant.tenantId(), List.of(FakeEntraTenant.AUDIENCE), tenant.authority()),
                List.of(), new com.nimbusds.jose.util.DefaultResourceRetriever(5_000, 5_000, 512 * 1024), clock, verifiers);
    }

    @Test
    void tokenPresentedAgainIsNotVerifiedAgainWhileItIsValid() {
        CountingVerifiers verifiers = new CountingVerifiers();
        EntraTokenAuthenticator authenticator = counted(verifiers, InstantSource.system());
        String token = tenant.token();

        for (int i = 0; i < 5; i++) {
            assertThat(present(authenticator, token)).isInstanceOf(AuthResult.Allowed.class);
        }

        assertThat(verifiers.created.get()).isEqualTo(1);
    }

    @Test
    void rememberedTokenIsRefusedOnceItExpires() {
        ManualClock clock = new ManualClock(Instant.now());
        EntraTokenAuthenticator authenticator = counted(new CountingVerifiers(), clock);
        String token = tenant.token(claims -> claims.expirationTime(Date.from(clock.instant().plus(Duration.ofMinutes(5)))));
        assertThat(present(authenticator, token)).isInstanceOf(AuthResult.Allowed.class);

        clock.advance(Duration.ofMinutes(7));

        assertRejected(present(authenticator, token), "expired", token);
    }
}
