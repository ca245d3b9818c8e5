package dev.spillway.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** SPILLWAY_STATE and SPILLWAY_STATE_AUTH: where replicas share state, and how the proxy signs in there. */
class StateConfigTest {

    private final ProxyConfigReader reader = new ProxyConfigReader();

    private Optional<StateConfig> read(String state, String auth) {
        Map<String, String> env = new HashMap<>(Map.of("SPILLWAY_BACKENDS", "[{\"url\":\"https://openai1.openai.azure.com\"}]",
                "SPILLWAY_API_KEYS", "k"));
        if (state != null) {
            env.put("SPILLWAY_STATE", state);
        }
        if (auth != null) {
            env.put("SPILLWAY_STATE_AUTH", auth);
        }
        return reader.read(env).state();
    }

    @Test
    void unsetMeansThisProcesssOwnMemory() {
        assertThat(read(null, null)).isEmpty();
    }

    @Test
    void aPlainUrlNamesHostPortAndNoTls() {
        StateConfig state = read("redis://127.0.0.1:6380", null).orElseThrow();

        assertThat(state.host()).isEqualTo("127.0.0.1");
        assertThat(state.port()).isEqualTo(6380);
        assertThat(state.tls()).isFalse();
        assertThat(state.authentication()).isEqualTo(StateConfig.Authentication.URL);
    }

    @Test
    void redissIsTlsAndThePortDefaultsToRedissOwn() {
        StateConfig state = read("rediss://spillway.westeurope.redis.azure.net", null).orElseThrow();

        assertThat(state.tls()).isTrue();
        assertThat(state.port()).isEqualTo(6379);
    }

    @Test
    void aPasswordInTheUrlIsReadDecodedAndNeverPrinted() {
        StateConfig state = read("redis://:s%40cret@localhost:6379/2", null).orElseThrow();

        assertThat(state.password()).hasValue("s@cret");
        assertThat(state.user()).isEmpty();
        assertThat(state.database()).isEqualTo(2);
        assertThat(state.toString()).doesNotContain("cret");
        assertThat(state.address()).isEqualTo("redis://localhost:6379/2");
    }

    @Test
    void entraSignsInWithTheManagedIdentityOverTls() {
        StateConfig state = read("rediss://spillway.westeurope.redis.azure.net:10000", "entra").orElseThrow();

        assertThat(state.authentication()).isEqualTo(StateConfig.Authentication.ENTRA);
        assertThat(state.port()).isEqualTo(10000);
    }

    @Test
    void entraOverPlainRedisIsRefusedSinceTheTokenWouldTravelInClear() {
        assertThatThrownBy(() -> read("redis://host:10000", "entra")).isInstanceOf(ConfigException.class)
                .hasMessage("SPILLWAY_STATE: SPILLWAY_STATE_AUTH=entra sends a token, which needs TLS: use rediss://");
    }

    @Test
    void entraWithAPasswordToo() {
        assertThatThrownBy(() -> read("rediss://:pw@host:10000", "entra")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("SPILLWAY_STATE: names a user or password, but SPILLWAY_STATE_AUTH=entra")
                .hasMessageNotContaining("pw@");
    }

    @Test
    void anUnknownAuthenticationIsRefused() {
        assertThatThrownBy(() -> read("rediss://host:10000", "password")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("SPILLWAY_STATE_AUTH: the only accepted value is 'entra'");
    }

    @Test
    void anAuthenticationWithoutAStoreIsRefused() {
        assertThatThrownBy(() -> read(null, "entra")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("SPILLWAY_STATE_AUTH: is set but SPILLWAY_STATE is not");
    }

    @Test
    void anotherSchemeIsRefusedWithAnExample() {
        assertThatThrownBy(() -> read("http://host:6379", null)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("SPILLWAY_STATE: must start with redis:// or rediss://");
    }

    @Test
    void anUnparseableUrlIsRefusedWithoutQuotingIt() {
        assertThatThrownBy(() -> read("redis://:p w@host:6379", null)).isInstanceOf(ConfigException.class)
                .hasMessage("SPILLWAY_STATE: is not a URL; use redis://host:port or rediss://host:port");
    }

    @Test
    void aPathOtherThanADatabaseNumberIsRefused() {
        assertThatThrownBy(() -> read("redis://host:6379/spillway", null)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("SPILLWAY_STATE: the path may only name a database number 0-15");
    }

    @Test
    void aUrlWithoutAHostIsRefused() {
        assertThatThrownBy(() -> read("redis://:6379", null)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("SPILLWAY_STATE: ");
    }
}
