package dev.spillway.proxy.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.Function;

/**
 * Inbound API keys, sent as {@code api-key: K} or {@code Authorization: Bearer K}. Several keys are
 * accepted at once so one can be rotated without downtime. Keys are compared as SHA-256 digests in
 * constant time, so neither a key's content nor its length leaks through timing.
 */
public final class ApiKeyAuthenticator implements Authenticator {

    private static final MessageDigest SHA_256 = sha256();

    private final List<byte[]> keyDigests;

    public ApiKeyAuthenticator(List<String> keys) {
        this.keyDigests = keys.stream().map(ApiKeyAuthenticator::digest).toList();
    }

    @Override
    public AuthResult authenticate(Function<String, String> header) {
        String apiKey = header.apply("api-key");
        String bearer = Authenticator.bearer(header);
        if (apiKey == null && bearer == null) {
            return new AuthResult.NotPresented();
        }
        for (String presented : new String[] {apiKey, bearer}) {
            if (presented != null && matchesAny(digest(presented))) {
                return new AuthResult.Allowed("api-key");
            }
        }
        return new AuthResult.Rejected(401, "invalid_api_key", "The API key is not valid for this proxy. "
                + "Send one of the proxy's keys as 'api-key: <key>' or 'Authorization: Bearer <key>'.");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private boolean matchesAny(byte[] presented) {
        boolean match = false;
        for (byte[] key : keyDigests) {
            // No early exit: every key is compared, whatever matches.
            match |= MessageDigest.isEqual(presented, key);
        }
        return match;
    }

    private static byte[] digest(String key) {
        try {
            // A copy of a ready instance costs less than a provider lookup on every request.
            return ((MessageDigest) SHA_256.clone()).digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the JDK's SHA-256 can be cloned", e);
        }
    }
}
