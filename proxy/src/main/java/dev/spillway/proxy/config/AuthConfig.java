package dev.spillway.proxy.config;

import java.util.List;
import java.util.Optional;

/**
 * Who may call the proxy.
 *
 * @param disabled          {@code SPILLWAY_AUTH=none}: anyone may call (local experiments only)
 * @param apiKeys           inbound keys accepted as {@code api-key} or {@code Authorization: Bearer}
 * @param entra             Entra ID access tokens accepted, when configured
 * @param allowedPrincipals object ids or app ids allowed in with an Entra token; empty means any in the tenant
 * @param callers           named callers ({@code SPILLWAY_CALLERS}): their keys are accepted too, and their principals
 *                          allowed; each may have a token budget
 */
public record AuthConfig(boolean disabled, List<String> apiKeys, Optional<EntraConfig> entra, List<String> allowedPrincipals,
                         List<CallerConfig> callers) {

    public AuthConfig {
        apiKeys = List.copyOf(apiKeys);
        allowedPrincipals = List.copyOf(allowedPrincipals);
        callers = List.copyOf(callers);
    }

    /** Never prints the keys. */
    @Override
    public String toString() {
        return "AuthConfig[disabled=" + disabled + ", apiKeys=" + apiKeys.size() + " configured, entra=" + entra
                + ", allowedPrincipals=" + allowedPrincipals + ", callers=" + callers + "]";
    }

    /**
     * @param audiences accepted {@code aud} values: the resource URI and, if configured, its app id form
     * @param authority where the tenant's OpenID metadata lives, such as {@code https://login.microsoftonline.com}
     */
    public record EntraConfig(String tenantId, List<String> audiences, String authority) {
        public EntraConfig {
            audiences = List.copyOf(audiences);
        }
    }
}
