package dev.spillway.proxy.auth;

import com.nimbusds.jwt.JWTClaimsSet;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Date;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tokens whose signature has been verified, so that a client sending the same token on every
 * request costs one RS256 verification per token, not one per request. Keyed by the token's
 * SHA-256, so the cache never holds a credential; kept until the token expires (claims are still
 * checked on every use: expiry, audience, allow-list). Bounded: when full of unexpired tokens, new
 * ones are simply verified every time rather than pushing out others.
 */
final class VerifiedTokens {

    private final int capacity;
    private final long skewMillis;
    private final Map<String, Entry> verified = new ConcurrentHashMap<>();

    private record Entry(JWTClaimsSet claims, long expiresAtMillis) {}

    /** @param skewMillis how long after {@code exp} a token is still accepted, so kept */
    VerifiedTokens(int capacity, long skewMillis) {
        this.capacity = capacity;
        this.skewMillis = skewMillis;
    }

    /** The claims of a token verified before and not yet expired, or null. */
    JWTClaimsSet get(String token, long nowMillis) {
        String key = digest(token);
        Entry entry = verified.get(key);
        if (entry == null) {
            return null;
        }
        if (nowMillis > entry.expiresAtMillis) {
            verified.remove(key, entry);
            return null;
        }
        return entry.claims;
    }

    /** Remembers a token whose signature was just verified; one without an expiry is not kept. */
    void put(String token, JWTClaimsSet claims, long nowMillis) {
        Date expires = claims.getExpirationTime();
        if (expires == null || nowMillis > expires.getTime() + skewMillis) {
            return;
        }
        if (verified.size() >= capacity) {
            verified.values().removeIf(entry -> nowMillis > entry.expiresAtMillis);
            if (verified.size() >= capacity) {
                return;
            }
        }
        verified.put(digest(token), new Entry(claims, expires.getTime() + skewMillis));
    }

    private static String digest(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
