package dev.spillway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.FakeEntraTenant;
import dev.spillway.proxy.testing.ProxyJar;
import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar, started as the Dockerfile starts it: {@code java -jar spillway-proxy.jar}. */
class JarLaunchIT {

    private static final Path JAR = Path.of(System.getProperty("spillway.proxy.jar", "target/spillway-proxy.jar"));
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path logs;

    private Process launch(Map<String, String> env, Path out, Path err) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString());
        builder.environment().clear();
        builder.environment().putAll(env);
        builder.redirectOutput(out.toFile()).redirectError(err.toFile());
        return builder.start();
    }

    @Test
    void badConfigurationStopsStartUpWithOneClearLine() throws Exception {
        Path out = logs.resolve("out.txt");
        Path err = logs.resolve("err.txt");
        Process process = launch(Map.of("SPILLWAY_API_KEYS", "k", "SPILLWAY_BACKENDS", "[{\"url\": nope}]"), out, err);

        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        List<String> lines = Files.readAllLines(err);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).startsWith("spillway: configuration error: SPILLWAY_BACKENDS: not valid JSON");
    }

    @Test
    void jarProxiesCallsAndNeverLogsCredentials() throws Exception {
        String clientKey = "client-secret-" + System.nanoTime();
        String backendKey = "backend-secret-" + System.nanoTime();
        Path output = logs.resolve("output.txt");
        String token;
        try (Simulator account = Simulator.start(SimulatorOptions.defaults().withApiKey(backendKey));
             FakeEntraTenant tenant = new FakeEntraTenant();
             // DEBUG: the per-attempt line, which carries the path and query, is logged too.
             ProxyJar proxy = ProxyJar.start(Map.of(
                     "SPILLWAY_LOG_LEVEL", "DEBUG",
                     "SPILLWAY_API_KEYS", clientKey,
                     "SPILLWAY_ENTRA_TENANT_ID", tenant.tenantId(),
                     "SPILLWAY_ENTRA_AUTHORITY", tenant.authority(),
                     "SPILLWAY_BACKENDS", "[{\"name\":\"openai1\",\"url\":\"" + account.url() + "\",\"apiKey\":\"" + backendKey + "\"}]"),
                     output)) {
            token = tenant.token();
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(proxy.url()
                            + "/openai/deployments/chat/chat/completions?api-version=2024-10-21&api-key=" + clientKey))
                    .header("Authorization", "Bearer " + clientKey)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(proxy.url() + "/openai/v1/models"))
                    .header("api-key", clientKey + "-wrong").build(), HttpResponse.BodyHandlers.ofString());

            HttpResponse<String> withToken = http.send(HttpRequest.newBuilder(URI.create(proxy.url() + "/openai/v1/chat/completions"))
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"chat\",\"messages\":[],\"max_tokens\":5}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> tamperedToken = http.send(HttpRequest.newBuilder(URI.create(proxy.url() + "/openai/v1/models"))
                    .header("Authorization", "Bearer " + token + "x").build(), HttpResponse.BodyHandlers.ofString());

            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(withToken.statusCode()).isEqualTo(200);
            assertThat(tamperedToken.statusCode()).isEqualTo(401);
            assertThat(ok.headers().firstValue("x-spillway-backend")).hasValue("openai1");
            assertThat(refused.statusCode()).isEqualTo(401);
            // SIGTERM, so the background log appender writes out what it holds before the output is read.
            proxy.process().destroy();
            proxy.process().waitFor(10, TimeUnit.SECONDS);
        }
        String logText = Files.readString(output, StandardCharsets.UTF_8);
        assertThat(logText).contains("Proxying to http://127.0.0.1:").contains("(backend openai1, attempt 1)");
        assertThat(logText).doesNotContain(clientKey).doesNotContain(backendKey).doesNotContain(token)
                .doesNotContain(token.substring(token.lastIndexOf('.') + 1));
    }

}
