package dev.spillway.proxy.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ApiKeyAuthenticatorTest {

    private final ApiKeyAuthenticator keys = new ApiKeyAuthenticator(List.of("current-key", "next-key"));

    private AuthResult authenticate(String... headers) {
        Map<String, String> map = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < headers.length; i += 2) {
            map.put(headers[i], headers[i + 1]);
        }
        return keys.authenticate(map::get);
    }

    @Test
    void rightKeyInApiKeyHeaderIsAllowed() {
        assertThat(authenticate("api-key", "current-key")).isInstanceOf(AuthResult.Allowed.class);
    }

    @Test
    void rightKeyAsBearerIsAllowed() {
        assertThat(authenticate("Authorization", "Bearer next-key")).isInstanceOf(AuthResult.Allowed.class);
    }

    @Test
    void wrongKeyIsRejectedWith401() {
        AuthResult result = authenticate("api-key", "current-ke");

        assertThat(result).isInstanceOf(AuthResult.Rejected.class);
        AuthResult.Rejected rejected = (AuthResult.Rejected) result;
        assertThat(rejected.status()).isEqualTo(401);
        assertThat(rejected.code()).isEqualTo("invalid_api_key");
    }

    @Test
    void refusalSaysHowToSendAKeyWithoutEchoingTheOnePresented() {
        // README: a message saying what is wrong in general terms, never echoing the credential.
        AuthResult.Rejected rejected = (AuthResult.Rejected) authenticate("Authorization", "Bearer current-ke");

        assertThat(rejected.message()).contains("api-key: <key>").contains("Authorization: Bearer <key>")
                .doesNotContain("current-ke");
    }

    @Test
    void noCredentialIsNotPresented() {
        assertThat(authenticate()).isInstanceOf(AuthResult.NotPresented.class);
    }

    @Test
    void basicAuthorizationIsNotMistakenForABearerKey() {
        assertThat(authenticate("Authorization", "Basic current-key")).isInstanceOf(AuthResult.NotPresented.class);
    }
}
