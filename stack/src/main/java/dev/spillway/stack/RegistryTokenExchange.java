package dev.spillway.stack;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Turns the deploying user's Entra ID token into an Azure Container Registry refresh token, which
 * docker accepts as a password with the all-zero user name. This is what {@code az acr login}
 * does, and it lets the image be pushed with the registry's admin user switched off.
 */
public interface RegistryTokenExchange {

    /** The user name ACR expects with a refresh token. */
    String USER = "00000000-0000-0000-0000-000000000000";

    String refreshToken(String loginServer, String tenantId, String entraAccessToken);

    /** The real exchange: {@code POST https://<registry>/oauth2/exchange}. */
    static RegistryTokenExchange overHttps() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).build();
        return (loginServer, tenantId, token) -> {
            String form = "grant_type=access_token&service=" + encode(loginServer) + "&tenant=" + encode(tenantId)
                    + "&access_token=" + encode(token);
            HttpRequest request = HttpRequest.newBuilder(URI.create("https://" + loginServer + "/oauth2/exchange"))
                    .timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form))
                    .build();
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    throw new IllegalStateException("the registry " + loginServer + " refused the token exchange (HTTP "
                            + response.statusCode() + "); is your account allowed to push (AcrPush or Owner on the registry)?");
                }
                return new ObjectMapper().readTree(response.body()).path("refresh_token").asText();
            } catch (IOException e) {
                throw new IllegalStateException("could not reach the registry " + loginServer + " for a token exchange", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during the registry token exchange", e);
            }
        };
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
