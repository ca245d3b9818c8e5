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
        assertThat(authenticate("api-key", "current-ke")).isEqualTo(new AuthResult.Rejected(401, "invalid_api_key",
                ((AuthResult.Rejected) authenticate("api-key", "x")).message()));
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
