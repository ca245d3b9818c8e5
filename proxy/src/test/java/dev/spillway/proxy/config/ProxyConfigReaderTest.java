package dev.spillway.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyConfigReaderTest {

    private static final String ONE_BACKEND = "[{\"name\":\"openai1\",\"url\":\"https://openai1.openai.azure.com/\"}]";
    private final ProxyConfigReader reader = new ProxyConfigReader();

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    @Test
    void minimalConfigurationGetsTheDocumentedDefaults() {
        ProxyConfig config = reader.read(env("SPILLWAY_BACKENDS", ONE_BACKEND, "SPILLWAY_API_KEYS", "k"));

        assertThat(config.port()).isEqualTo(8080);
        assertThat(config.maxBodyBytes()).isEqualTo(20_971_520L);
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.headersTimeout()).isEqualTo(Duration.ofSeconds(120));
        assertThat(config.failureCooldown()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.policy()).isEqualTo(ProxyConfig.BalancingPolicy.QUOTA);
        assertThat(config.limits().clientHeaderTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.limits().maxConnections()).isEqualTo(20_000);
        BackendConfig backend = config.backends().get(0);
        assertThat(backend.url().toString()).isEqualTo("https://openai1.openai.azure.com");
        assertThat(backend.priority()).isEqualTo(1);
        assertThat(backend.weight()).isEqualTo(1);
        assertThat(backend.apiKey()).isEmpty();
    }

    @Test
    void backendFieldsAreRead() {
        ProxyConfig config = reader.read(env("SPILLWAY_AUTH", "none", "SPILLWAY_BACKENDS",
                "[{\"name\":\"ptu\",\"url\":\"https://a.openai.azure.com\",\"priority\":1,\"weight\":3,\"apiKey\":\"secret\"},"
                        + "{\"name\":\"paygo\",\"url\":\"https://b.openai.azure.com\",\"priority\":2}]"));

        assertThat(config.backends()).extracting(BackendConfig::name).containsExactly("ptu", "paygo");
        assertThat(config.backends().get(0).weight()).isEqualTo(3);
        assertThat(config.backends().get(0).apiKey()).hasValue("secret");
        assertThat(config.backends().get(1).priority()).isEqualTo(2);
    }

    @Test
    void referenceSampleVariablesAreAcceptedInNumericOrder() {
        ProxyConfig config = reader.read(env("SPILLWAY_API_KEYS", "k",
                "BACKEND_10_URL", "https://ten.openai.azure.com", "BACKEND_2_URL", "https://two.openai.azure.com",
                "BACKEND_2_PRIORITY", "2", "BACKEND_2_APIKEY", "key2"));

        assertThat(config.backends()).extracting(BackendConfig::name).containsExactly("backend2", "backend10");
        assertThat(config.backends().get(0).priority()).isEqualTo(2);
        assertThat(config.backends().get(0).apiKey()).hasValue("key2");
    }

    @Test
    void keysNeverAppearInTheConfigurationsText() {
        ProxyConfig config = reader.read(env("SPILLWAY_API_KEYS", "inbound-secret", "SPILLWAY_BACKENDS",
                "[{\"url\":\"https://a.openai.azure.com\",\"apiKey\":\"backend-secret\"}]"));

        assertThat(config.toString()).doesNotContain("inbound-secret").doesNotContain("backend-secret");
    }

    @Test
    void noBackendsStopsStartUp() {
        assertThatThrownBy(() -> reader.read(env("SPILLWAY_API_KEYS", "k")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("SPILLWAY_BACKENDS: no backends configured");
    }

    @Test
    void emptyBackendArrayStopsStartUp() {
        assertThatThrownBy(() -> reader.read(env("SPILLWAY_API_KEYS", "k", "SPILLWAY_BACKENDS", "[]")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no backends configured");
    }

    @Test
    void badJsonStopsStartUp() {
        assertThatThrownBy(() -> reader.read(env("SPILLWAY_API_KEYS", "k", "SPILLWAY_BACKENDS", "[{\"url\":")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("SPILLWAY_BACKENDS: not valid JSON");
    }

    @Test
    void badUrlStopsStartUp() {
        assertThatThrownBy(() -> reader.read(env("SPILLWAY_API_KEYS", "k", "SPILLWAY_BACKENDS", "[{\"url\":\"openai1.openai.azure.com\"}]")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("is not an http(s) URL");
    }

    @Test
    void misspelledBackendFieldStopsStartUp() {
        assertThatThrownBy(() -> reader.read(env("SPILLWAY_API_KEYS", "k", "SPILLWAY_BACKENDS",
                "[{\"url\":\"https://a.openai.azure.com\",\"prority\":2}]")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown field \"prority\"");
    }

    @Test
    void duplicateBackendNamesStopStartUp() {
        assertThatThrownBy(() -> reader.read(env("SPILLWAY_API_KEYS", "k", "SPILLWAY_BACKENDS",
                "[{\"name\":\"a\",\"url\":\"https://a.openai.azure.com\"},{\"name\":\"a\",\"url\":\"https://b.openai.azure.com\"}]")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'a' is used twice");
    }

    @Test
    void missingInboundAuthStopsStartUp() {
        assertThatThrownBy(() -> reader.read(env("SPILLWAY_BACKENDS", ONE_BACKEND)))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("SPILLWAY_API_KEYS: no inbound auth configured");
    }

    @Test
    void authNoneIsTheOnlyWayToRunOpen() {
        ProxyConfig config = reader.read(env("SPILLWAY_BACKENDS", ONE_BACKEND, "SPILLWAY_AUTH", "none"));

        assertThat(config.auth().disabled()).isTrue();
        assertThatThrownBy(() -> reader.read(env("SPILLWAY_BACKENDS", ONE_BACKEND, "SPILLWAY_AUTH", "off")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("SPILLWAY_AUTH:");
    }

    @Test
    void nonNumericTimeoutStopsStartUp() {
        assertThatThrownBy(() -> reader.read(env("SPILLWAY_BACKENDS", ONE_BACKEND, "SPILLWAY_API_KEYS", "k",
                "SPILLWAY_HEADERS_TIMEOUT_MS", "2m")))
                .isInstanceOf(ConfigException.class).hasMessage("SPILLWAY_HEADERS_TIMEOUT_MS: must be a whole number, got '2m'");
    }

    @Test
    void portOutOfRangeStopsStartUp() {
        assertThatThrownBy(() -> reader.read(env("SPILLWAY_BACKENDS", ONE_BACKEND, "SPILLWAY_API_KEYS", "k", "PORT", "70000")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("PORT: must be between 1 and 65535");
    }

    @Test
    void unknownPolicyStopsStartUp() {
        assertThatThrownBy(() -> reader.read(env("SPILLWAY_BACKENDS", ONE_BACKEND, "SPILLWAY_API_KEYS", "k", "SPILLWAY_POLICY", "fastest")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'fastest' is not a policy");
    }

    @Test
    void mixingBothBackendFormatsStopsStartUp() {
        assertThatThrownBy(() -> reader.read(env("SPILLWAY_BACKENDS", ONE_BACKEND, "SPILLWAY_API_KEYS", "k",
                "BACKEND_1_URL", "https://x.openai.azure.com")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not both");
    }

    @Test
    void headerDeadlineAndConnectionCapAreRead() {
        ProxyConfig config = reader.read(env("SPILLWAY_BACKENDS", ONE_BACKEND, "SPILLWAY_API_KEYS", "k",
                "SPILLWAY_CLIENT_HEADER_TIMEOUT_MS", "1500", "SPILLWAY_MAX_CONNECTIONS", "12"));

        assertThat(config.limits().clientHeaderTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(config.limits().maxConnections()).isEqualTo(12);
    }
}
