package dev.spillway.proxy.testing;

import com.azure.core.credential.TokenCredential;
import dev.spillway.proxy.Spillway;
import dev.spillway.proxy.config.ProxyConfig;
import dev.spillway.proxy.config.ProxyConfigReader;
import dev.spillway.proxy.server.ProxyServer;
import dev.spillway.simulator.Simulator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The proxy, in this JVM, on an ephemeral loopback port, configured through its real environment contract. */
public final class RunningProxy implements AutoCloseable {

    public static final String CLIENT_KEY = "client-key-for-tests";

    private final ProxyServer server;
    private final String url;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private RunningProxy(ProxyServer server) {
        this.server = server;
        this.url = "http://127.0.0.1:" + server.port();
    }

    public static Builder builder() {
        return new Builder();
    }

    public String url() {
        return url;
    }

    /** A chat completion for a deployment, the classic way: deployment in the path, key in {@code api-key}. */
    public HttpResponse<String> chat(String deployment) {
        return post("/openai/deployments/" + deployment + "/chat/completions?api-version=2024-10-21", chatBody(false));
    }

    public HttpResponse<String> post(String pathAndQuery, String json, String... headers) {
        return send(request(pathAndQuery, headers).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<InputStream> postStreaming(String pathAndQuery, String json) {
        return send(request(pathAndQuery).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    public HttpResponse<String> get(String path, String... headers) {
        return send(request(path, headers).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Builds a request with the client key, unless the headers given name a credential of their own. */
    public HttpRequest.Builder request(String pathAndQuery, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url + pathAndQuery))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json");
        boolean credential = false;
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
            credential |= headers[i].equalsIgnoreCase("api-key") || headers[i].equalsIgnoreCase("Authorization")
                    || headers[i].equalsIgnoreCase("X-No-Credential");
        }
        if (!credential) {
            builder.header("api-key", CLIENT_KEY);
        }
        return builder;
    }

    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static String chatBody(boolean stream) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"Say something about spillways.\"}],\"max_tokens\":20"
                + (stream ? ",\"stream\":true" : "") + "}";
    }

    @Override
    public void close() {
        server.close();
    }

    /** Collects the environment a deployment would set, then starts the proxy with it. */
    public static final class Builder {
        private final List<String> backends = new ArrayList<>();
        private final Map<String, String> env = new HashMap<>(Map.of("SPILLWAY_API_KEYS", CLIENT_KEY));
        private java.util.function.Consumer<RunningProxy> onStart = started -> { };
        private InstantSource clock = InstantSource.system();
        private Supplier<TokenCredential> credential = () -> {
            throw new AssertionError("no backend in this test should need an Entra token");
        };

        public Builder backend(String name, Simulator simulator, int priority) {
            return backend(name, simulator.url(), priority, "backend-key");
        }

        /** @param apiKey null for a backend reached with an Entra token */
        public Builder backend(String name, String url, int priority, String apiKey) {
            backends.add("{\"name\":\"" + name + "\",\"url\":\"" + url + "\",\"priority\":" + priority
                    + (apiKey == null ? "" : ",\"apiKey\":\"" + apiKey + "\"") + "}");
            return this;
        }

        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        Builder onStart(java.util.function.Consumer<RunningProxy> value) {
            onStart = value;
            return this;
        }

        /** The clock the proxy's routing, throttling and token checks read (not Jetty's own timeouts). */
        public Builder clock(InstantSource value) {
            clock = value;
            return this;
        }

        public Builder entraCredential(TokenCredential value) {
            credential = () -> value;
            return this;
        }

        public RunningProxy start() {
            Map<String, String> all = new HashMap<>(env);
            all.put("SPILLWAY_BACKENDS", "[" + String.join(",", backends) + "]");
            ProxyConfig config = new ProxyConfigReader().read(all);
            ProxyServer server = Spillway.assemble(config, credential, clock);
            server.start(0);
            RunningProxy proxy = new RunningProxy(server);
            onStart.accept(proxy);
            return proxy;
        }
    }
}
