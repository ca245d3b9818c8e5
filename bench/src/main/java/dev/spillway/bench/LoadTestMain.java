package dev.spillway.bench;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code scripts/loadtest}: drives a proxy (local mode by default, or a deployed one) and prints
 * what a client saw: success rate, 429s, latency percentiles, tokens per minute, split per backend.
 */
public final class LoadTestMain {

    private static final String USAGE = """
            usage: scripts/loadtest [--target URL] [--key KEY | --token TOKEN] [--deployment NAME] [--v1]
                                    [--rate N | --concurrency N] [--duration SECONDS] [--stream]
                                    [--prompt-chars N] [--max-tokens N]
              --target       the proxy's base URL (default http://localhost:8080, what scripts/local starts)
              --key/--token  sent as api-key / Authorization: Bearer (default: scripts/local's key)
              --deployment   deployment name (default chat); with --v1 it goes in the body as "model"
              --rate         open loop: requests started per second
              --concurrency  closed loop: requests kept in flight (default 8 when no rate is given)
              --duration     seconds of load (default 30)
              --stream       ask for SSE streams (first byte is measured to the first event)""";

    private LoadTestMain() {}

    public static void main(String[] args) throws InterruptedException {
        String target = "http://localhost:8080";
        Map<String, String> headers = new HashMap<>(Map.of("api-key", "local-dev-key"));
        String deployment = "chat";
        boolean v1 = false;
        boolean stream = false;
        double rate = 0;
        int concurrency = 0;
        int seconds = 30;
        int promptChars = 400;
        int maxTokens = 100;
        try {
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                switch (flag) {
                    case "--help", "-h" -> {
                        System.out.println(USAGE);
                        return;
                    }
                    case "--v1" -> v1 = true;
                    case "--stream" -> stream = true;
                    default -> {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException(flag + " needs a value");
                        }
                        String value = args[++i];
                        switch (flag) {
                            case "--target" -> target = value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
                            case "--key" -> headers = new HashMap<>(Map.of("api-key", value));
                            case "--token" -> headers = new HashMap<>(Map.of("Authorization", "Bearer " + value));
                            case "--deployment" -> deployment = value;
                            case "--rate" -> rate = Double.parseDouble(value);
                            case "--concurrency" -> concurrency = Integer.parseInt(value);
                            case "--duration" -> seconds = Integer.parseInt(value);
                            case "--prompt-chars" -> promptChars = Integer.parseInt(value);
                            case "--max-tokens" -> maxTokens = Integer.parseInt(value);
                            default -> throw new IllegalArgumentException("unknown option " + flag);
                        }
                    }
                }
            }
            if (rate <= 0 && concurrency <= 0) {
                concurrency = 8;
            }
            if (seconds <= 0 || seconds > 3600) {
                throw new IllegalArgumentException("--duration must be between 1 and 3600 seconds");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("loadtest: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        URI uri = URI.create(target + (v1 ? "/openai/v1/chat/completions"
                : "/openai/deployments/" + deployment + "/chat/completions?api-version=2024-10-21"));
        LoadSpec spec = new LoadSpec(uri, LoadSpec.chatBody(v1 ? deployment : null, promptChars, maxTokens, stream), headers,
                stream, rate, concurrency, Duration.ofSeconds(seconds));
        System.out.printf("Load on %s: %s, %s, %d s%n", uri, rate > 0 ? rate + " requests/s (open loop)" : concurrency + " in flight (closed loop)",
                stream ? "streaming" : "not streaming", seconds);
        LoadResult result = new LoadGenerator(System.err).run(spec);
        System.out.print(result.summary());
    }
}
