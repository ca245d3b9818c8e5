package dev.spillway.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.proxy.state.QuotaPeriod;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code SPILLWAY_CALLERS}: named callers with their credentials and budgets; every mistake is one clear line without a key in it. */
class CallersConfigTest {

    private static final String ONE_BACKEND = "[{\"name\":\"openai1\",\"url\":\"https://openai1.openai.azure.com/\"}]";
    private static final String SECRET = "sk-very-secret-key";
    private final ProxyConfigReader reader = new ProxyConfigReader();

    private ProxyConfig read(String callers, String... more) {
        Map<String, String> env = new HashMap<>(Map.of("SPILLWAY_BACKENDS", ONE_BACKEND, "SPILLWAY_CALLERS", callers));
        for (int i = 0; i < more.length; i += 2) {
            env.put(more[i], more[i + 1]);
        }
        return reader.read(env);
    }

    @Test
    void aCallerWithKeysAndBothLimitsIsReadAndItsKeysAloneAreEnoughInboundAuth() {
        ProxyConfig config = read("[{\"name\":\"team-a\",\"apiKeys\":[\"" + SECRET + "\"],\"tokensPerMinute\":20000,"
                + "\"tokenQuota\":5000000,\"tokenQuotaPeriod\":\"monthly\"}]");

        CallerConfig caller = config.auth().callers().get(0);
        assertThat(caller.name()).isEqualTo("team-a");
        assertThat(caller.apiKeys()).containsExactly(SECRET);
        assertThat(caller.limits().perMinute()).isEqualTo(20_000);
        assertThat(caller.limits().quota()).isEqualTo(5_000_000);
        assertThat(caller.limits().period()).isEqualTo(QuotaPeriod.MONTHLY);
        assertThat(config.toString()).doesNotContain(SECRET);
    }

    @Test
    void bothLimitsAreOptional() {
        CallerConfig caller = read("[{\"name\":\"team-a\",\"apiKeys\":[\"k\"]}]").auth().callers().get(0);

        assertThat(caller.limits().any()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "duplicate name      | [{\"name\":\"a\",\"apiKeys\":[\"k1\"]},{\"name\":\"a\",\"apiKeys\":[\"k2\"]}]          | caller name 'a' is used twice",
        "key in two callers  | [{\"name\":\"a\",\"apiKeys\":[\"" + SECRET + "\"]},{\"name\":\"b\",\"apiKeys\":[\"" + SECRET + "\"]}] | caller 'b' has an API key that caller 'a' has too",
        "negative limit      | [{\"name\":\"a\",\"apiKeys\":[\"k\"],\"tokensPerMinute\":-5}]                   | \"tokensPerMinute\" must be a whole number of tokens, at least 1",
        "zero quota          | [{\"name\":\"a\",\"apiKeys\":[\"k\"],\"tokenQuota\":0,\"tokenQuotaPeriod\":\"daily\"}] | \"tokenQuota\" must be a whole number of tokens, at least 1",
        "unknown period      | [{\"name\":\"a\",\"apiKeys\":[\"k\"],\"tokenQuota\":5,\"tokenQuotaPeriod\":\"fortnightly\"}] | must be one of hourly, daily, weekly, monthly, yearly",
        "quota, no period    | [{\"name\":\"a\",\"apiKeys\":[\"k\"],\"tokenQuota\":5}]                          | has \"tokenQuota\" but no \"tokenQuotaPeriod\"",
        "period, no quota    | [{\"name\":\"a\",\"apiKeys\":[\"k\"],\"tokenQuotaPeriod\":\"daily\"}]             | has \"tokenQuotaPeriod\" but no \"tokenQuota\"",
        "no credential       | [{\"name\":\"a\",\"tokensPerMinute\":5}]                                       | has neither \"apiKeys\" nor \"principals\"",
        "unknown field       | [{\"name\":\"a\",\"apiKeys\":[\"k\"],\"tpm\":5}]                                  | has unknown field \"tpm\"",
        "name with a space   | [{\"name\":\"team a\",\"apiKeys\":[\"k\"]}]                                     | needs a \"name\" of letters, digits",
        "not an array        | {\"name\":\"a\"}                                                              | expected a JSON array of callers",
        "not JSON            | [{\"name\":\"a\",\"apiKeys\":[\"" + SECRET + "\"]                                  | not valid JSON (at line 1",
    })
    void aBadEntryStopsStartUpWithOneLineThatNeverShowsAKey(String what, String callers, String message) {
        assertThatThrownBy(() -> read(callers, "SPILLWAY_API_KEYS", "plain"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("SPILLWAY_CALLERS: ")
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET).doesNotContain("\n"));
    }

    @Test
    void aCallersKeyMayNotAlsoBeAPlainKeyWithoutABudget() {
        assertThatThrownBy(() -> read("[{\"name\":\"a\",\"apiKeys\":[\"" + SECRET + "\"]}]", "SPILLWAY_API_KEYS", SECRET))
                .hasMessageContaining("caller 'a' has an API key that SPILLWAY_API_KEYS also lists")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET));
    }

    @Test
    void principalsNeedEntraTokensToBeAccepted() {
        assertThatThrownBy(() -> read("[{\"name\":\"a\",\"principals\":[\"11111111-2222-3333-4444-555555555555\"]}]", "SPILLWAY_API_KEYS", "k"))
                .hasMessageContaining("caller 'a' lists principals, but Entra ID tokens are not accepted");
    }

    @Test
    void callersCannotBeNamedOnAnOpenProxy() {
        assertThatThrownBy(() -> read("[{\"name\":\"a\",\"apiKeys\":[\"k\"]}]", "SPILLWAY_AUTH", "none"))
                .hasMessageStartingWith("SPILLWAY_CALLERS: names callers, but SPILLWAY_AUTH=none");
    }
}
