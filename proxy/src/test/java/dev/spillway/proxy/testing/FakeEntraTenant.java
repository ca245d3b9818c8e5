package dev.spillway.proxy.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A stand-in Entra ID tenant on loopback: OpenID metadata and a JWKS endpoint serving keys this
 * test generated, and a token minter. Point the proxy at it with {@code SPILLWAY_ENTRA_AUTHORITY}.
 */
public final class FakeEntraTenant implements AutoCloseable {

    public static final String AUDIENCE = "https://cognitiveservices.azure.com";

    private final String tenantId = UUID.randomUUID().toString();
    private final HttpServer server;
    private final List<RSAKey> published = new CopyOnWriteArrayList<>();
    private final AtomicInteger keyFetches = new AtomicInteger();
    private volatile RSAKey signing;
    private volatile boolean keysDown;

    public FakeEntraTenant() {
        signing = newKey("key-1");
        published.add(signing);
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/" + tenantId + "/v2.0/.well-known/openid-configuration", exchange -> respond(exchange,
                "{\"issuer\":\"" + issuerV2() + "\",\"jwks_uri\":\"" + authority() + "/" + tenantId + "/discovery/v2.0/keys\","
                        + "\"id_token_signing_alg_values_supported\":[\"RS256\"]}"));
        server.createContext("/" + tenantId + "/discovery/v2.0/keys", exchange -> {
            keyFetches.incrementAndGet();
            if (keysDown) {
                exchange.sendResponseHeaders(503, -1);
                exchange.close();
                return;
            }
            respond(exchange, new JWKSet(published.stream().map(k -> (com.nimbusds.jose.jwk.JWK) k.toPublicJWK()).toList()).toString());
        });
        server.start();
    }

    public static RSAKey newKey(String keyId) {
        try {
            return new RSAKeyGenerator(2048).keyID(keyId).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public String tenantId() {
        return tenantId;
    }

    public String authority() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public String issuerV2() {
        return authority() + "/" + tenantId + "/v2.0";
    }

    public String issuerV1() {
        return "https://sts.windows.net/" + tenantId + "/";
    }

    /** The key endpoint answers 503 from now on (the metadata endpoint still answers). */
    public void takeKeysDown() {
        keysDown = true;
    }

    /** Attempts to fetch the keys, failed ones included. */
    public int keyFetches() {
        return keyFetches.get();
    }

    /** Publishes a new key and signs new tokens with it, as Entra does when it rotates. */
    public RSAKey rotate(String keyId) {
        signing = newKey(keyId);
        published.add(signing);
        return signing;
    }

    public RSAKey signingKey() {
        return signing;
    }

    /** The claims a managed identity's token for Azure OpenAI carries, valid for an hour. */
    public JWTClaimsSet.Builder claims() {
        return claims(Instant.now());
    }

    /** The same claims, issued at {@code now} (a test's manual clock). */
    public JWTClaimsSet.Builder claims(Instant now) {
        return new JWTClaimsSet.Builder()
                .issuer(issuerV1())
                .audience(AUDIENCE)
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now.minusSeconds(5)))
                .expirationTime(Date.from(now.plus(Duration.ofHours(1))))
                .claim("tid", tenantId)
                .claim("oid", "11111111-2222-3333-4444-555555555555")
                .claim("appid", "66666666-7777-8888-9999-000000000000")
                .subject("11111111-2222-3333-4444-555555555555");
    }

    public String token() {
        return token(UnaryOperator.identity());
    }

    public String token(UnaryOperator<JWTClaimsSet.Builder> change) {
        return sign(change.apply(claims()).build(), signing);
    }

    /** A token issued at {@code now}, valid for an hour from then. */
    public String tokenAt(Instant now) {
        return sign(claims(now).build(), signing);
    }

    public static String sign(JWTClaimsSet claims, RSAKey key) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void respond(HttpExchange exchange, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
