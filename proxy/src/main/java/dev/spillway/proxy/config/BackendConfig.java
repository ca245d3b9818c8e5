package dev.spillway.proxy.config;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * One Azure OpenAI account the proxy may send requests to.
 *
 * @param name     shown in logs, metrics and the {@code x-spillway-backend} header
 * @param url      the account endpoint, such as {@code https://openai1.openai.azure.com}, without a trailing slash
 * @param priority lower is preferred; higher numbers are only used when every lower one is unavailable
 * @param weight   share of traffic within its priority group
 * @param apiKey   the account key; when absent the proxy authenticates with an Entra ID token
 */
public record BackendConfig(String name, URI url, int priority, int weight, Optional<String> apiKey) {

    public BackendConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(apiKey, "apiKey");
    }

    /** Never prints the key. */
    @Override
    public String toString() {
        return "BackendConfig[name=" + name + ", url=" + url + ", priority=" + priority + ", weight=" + weight
                + ", apiKey=" + (apiKey.isPresent() ? "***" : "none (Entra ID)") + "]";
    }
}
