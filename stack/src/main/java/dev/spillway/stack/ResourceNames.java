package dev.spillway.stack;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;

/**
 * Names that must be unique in Azure but stable across runs. There is no random provider for
 * Java here, so uniqueness comes from hashing what identifies the deployment: subscription,
 * stack and region. The same stack in the same subscription always gets the same names, which
 * is also what lets the purge script find its soft-deleted accounts.
 */
public final class ResourceNames {

    private final String stack;

    public ResourceNames(String stack) {
        this.stack = stack;
    }

    /** Account name and custom subdomain: {@code spw-<stack>-<hash>-<region>}, at most 64 characters. */
    public String openAiAccount(String subscriptionId, String location) {
        String cleanStack = clean(stack, 16);
        return "spw-" + cleanStack + "-" + hash(subscriptionId + "/" + stack + "/" + location, 6) + "-" + clean(location, 30);
    }

    /** Registry names are global, alphanumeric, 5-50 characters. */
    public String registry(String subscriptionId) {
        return "spw" + clean(stack, 16).replace("-", "") + hash(subscriptionId + "/" + stack + "/acr", 10);
    }

    /** Role assignment names are GUIDs; the same assignment always gets the same one. */
    public String roleAssignment(String what) {
        return UUID.nameUUIDFromBytes((stack + "/" + what).getBytes(StandardCharsets.UTF_8)).toString();
    }

    public String stack() {
        return stack;
    }

    private static String clean(String text, int max) {
        String lower = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("-+", "-").replaceAll("^-|-$", "");
        return lower.length() > max ? lower.substring(0, max).replaceAll("-$", "") : lower;
    }

    private static String hash(String text, int length) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, length);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
