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

    /**
     * Role assignment names are GUIDs, unique in the tenant. Derived from scope, principal and role
     * together, as Microsoft's RBAC guidance does with {@code guid(scope, principalId, roleDefinitionId)}:
     * the same grant always gets the same name, and a new identity or a moved scope gets a new one
     * (an assignment's principal or scope cannot be updated in place: RoleAssignmentUpdateNotPermitted).
     */
    public static String roleAssignment(String scope, String principalId, String roleDefinitionId) {
        String key = String.join("|", scope, principalId, roleDefinitionId).toLowerCase(Locale.ROOT);
        return UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** The logical (Pulumi) name of a per-region resource: by region, so adding or dropping a region renames nothing. */
    public static String perRegion(String prefix, String location) {
        return prefix + "-" + location;
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
