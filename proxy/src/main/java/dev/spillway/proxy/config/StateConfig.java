package dev.spillway.proxy.config;

import java.util.Optional;

/**
 * Where replicas share state ({@code SPILLWAY_STATE}): a Redis database, reached over TLS for
 * {@code rediss://}. A password from the URL is for local use; in Azure the proxy signs in with
 * its managed identity ({@code SPILLWAY_STATE_AUTH=entra}).
 *
 * @param user     ACL user from the URL, if any
 * @param password from the URL, if any; never printed
 */
public record StateConfig(String host, int port, boolean tls, int database, Optional<String> user, Optional<String> password,
                          Authentication authentication) {

    public enum Authentication {
        /** The URL's password, or none. */
        URL,
        /** An Entra ID token for the proxy's managed identity, renewed before it expires. */
        ENTRA
    }

    /** As a user would write it, without the password: for log lines and /backends. */
    public String address() {
        return (tls ? "rediss://" : "redis://") + host + ":" + port + (database == 0 ? "" : "/" + database);
    }

    @Override
    public String toString() {
        return "StateConfig[" + address() + ", auth=" + authentication.name().toLowerCase(java.util.Locale.ROOT) + "]";
    }
}
