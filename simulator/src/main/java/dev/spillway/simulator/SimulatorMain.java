package dev.spillway.simulator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs simulated accounts as a program, one per port:
 * {@code java -jar spillway-simulator-all.jar --ports 8081,8082,8083 --tpm 30000}.
 */
public final class SimulatorMain {

    private static final String USAGE = """
            usage: spillway-simulator [--ports 8081,8082,8083] [--deployments chat,embedding] [--tpm 30000]
                                      [--first-byte-latency-ms 300] [--token-latency-ms 15] [--header-jitter 0.03]
                                      [--completion-tokens 20] [--default-max-tokens 648] [--api-key KEY] [--instant]
              Answers as slowly and reports as loosely as Azure does by default; --instant answers at once with exact headers.""";

    private SimulatorMain() {}

    public static void main(String[] args) {
        SimulatorOptions options = SimulatorOptions.azure();
        List<Integer> ports = List.of(8081);
        List<String> deployments = List.of("chat", "embedding");
        long tpm = 30_000;
        try {
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (flag.equals("--help") || flag.equals("-h")) {
                    System.out.println(USAGE);
                    return;
                }
                if (flag.equals("--instant")) {
                    options = options.withFirstByteLatency(Duration.ZERO).withTokenLatency(Duration.ZERO).withHeaderJitter(0);
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                String value = args[++i];
                switch (flag) {
                    case "--ports" -> ports = parsePorts(value);
                    case "--deployments" -> deployments = List.of(value.split(","));
                    case "--tpm" -> tpm = positive(flag, value);
                    case "--token-latency-ms" -> options = options.withTokenLatency(Duration.ofMillis(nonNegative(flag, value)));
                    case "--first-byte-latency-ms" -> options = options.withFirstByteLatency(Duration.ofMillis(nonNegative(flag, value)));
                    case "--header-jitter" -> options = options.withHeaderJitter(fraction(flag, value));
                    case "--default-max-tokens" -> options = options.withDefaultMaxTokens((int) positive(flag, value));
                    case "--completion-tokens" -> options = options.withCompletionTokens((int) positive(flag, value));
                    case "--api-key" -> options = options.withApiKey(value);
                    default -> throw new IllegalArgumentException("unknown option " + flag);
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println("spillway-simulator: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        Map<String, Long> quotas = new LinkedHashMap<>();
        for (String deployment : deployments) {
            quotas.put(deployment.trim(), tpm);
        }
        options = options.withDeployments(quotas);
        List<Simulator> running = new ArrayList<>();
        for (int port : ports) {
            Simulator simulator = Simulator.start(options.withPort(port));
            running.add(simulator);
            System.out.printf("Simulated Azure OpenAI account on %s (deployments %s, %d TPM each)%n",
                    simulator.url(), String.join(",", quotas.keySet()), tpm);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> running.forEach(Simulator::close)));
    }

    private static List<Integer> parsePorts(String value) {
        List<Integer> ports = new ArrayList<>();
        for (String part : value.split(",")) {
            long port = positive("--ports", part.trim());
            if (port > 65535) {
                throw new IllegalArgumentException("--ports: " + port + " is not a port number");
            }
            ports.add((int) port);
        }
        return ports;
    }

    private static double fraction(String flag, String value) {
        try {
            double parsed = Double.parseDouble(value);
            if (!(parsed >= 0 && parsed < 1)) {
                throw new IllegalArgumentException(flag + " must be at least 0 and below 1, got " + value);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs a number such as 0.03, got '" + value + "'");
        }
    }

    private static long positive(String flag, String value) {
        long parsed = nonNegative(flag, value);
        if (parsed == 0) {
            throw new IllegalArgumentException(flag + " must be > 0");
        }
        return parsed;
    }

    private static long nonNegative(String flag, String value) {
        try {
            long parsed = Long.parseLong(value);
            if (parsed < 0) {
                throw new IllegalArgumentException(flag + " must not be negative, got " + value);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs a whole number, got '" + value + "'");
        }
    }
}
