package dev.spillway.proxy.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Inbound API keys, sent as {@code api-key: K} or {@code Authorization: Bearer K}. Several keys are
 * accepted at once so one can be rotated without downtime. Keys are compared as SHA-256 digests in
 * constant time, so neither a key's content nor its length leaks through timing. A key may belong to
 * a named caller ({@code SPILLWAY_CALLERS}), whose name the result then carries.
 */
public final class ApiKeyAuthenticator implements Authenticator {

    private static final MessageDigest SHA_256 = sha256();

    private final List<byte[]> keyDigests;
    /** The caller each key belongs to, by the key's index in {@code keyDigests}; null for a key of no caller. */
    private final List<String> callers;

    public ApiKeyAuthenticator(List<String> keys) {
        this(keys, Map.of());
    }

    /** @param callerKeys each named caller's keys, by the caller's name */
    public ApiKeyAuthenticator(List<String> keys, Map<String, List<String>> callerKeys) {
        List<byte[]> digests = new ArrayList<>();
        List<String> owners = new ArrayList<>();
        keys.forEach(key -> {
            digests.add(digest(key));
            owners.add(null);
        });
        callerKeys.forEach((caller, its) -> its.forEach(key -> {
            digests.add(digest(key));
            owners.add(caller);
        }));
        this.keyDigests = List.copyOf(digests);
        this.callers = java.util.Collections.unmodifiableList(owners);
    }

    @Override
    public AuthResult authenticate(Function<String, String> header) {
        String apiKey = header.apply("api-key");
        String bearer = Authenticator.bearer(header);
        if (apiKey == null && bearer == null) {
            return new AuthResult.NotPresented();
        }
        for (String presented : new String[] {apiKey, bearer}) {
            int match = presented == null ? -1 : match(digest(presented));
            if (match >= 0) {
                String caller = callers.get(match);
                return new AuthResult.Allowed(caller == null ? "api-key" : "caller:" + caller, caller);
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

    /** The index of the matching key, or -1. */
    private int match(byte[] presented) {
        int match = -1;
        for (int i = 0; i < keyDigests.size(); i++) {
            // No early exit: every key is compared, whatever matches.
            if (MessageDigest.isEqual(presented, keyDigests.get(i))) {
                match = i;
            }
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
