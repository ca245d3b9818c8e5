package dev.spillway.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The stack's typed configuration (declared, with defaults and descriptions, in Pulumi.yaml).
 * Every invalid value fails with a message naming the key and what to change.
 *
 * @param location          region of the shared resources (resource group, registry, identity, Container Apps)
 * @param openaiCapacity    capacity of every model deployment, in thousands of TPM
 * @param openaiLocations   one Azure OpenAI account per region
 * @param priorities        proxy priority per account, in openaiLocations order
 * @param chat              the `chat` deployment
 * @param embedding         the `embedding` deployment
 * @param proxyImage        an existing image to run instead of building one
 * @param imageBuilder      where the image is built when proxyImage is not set
 * @param hasApiKeys        whether proxyApiKeys is set (its value is read as a secret)
 * @param hasCallers        whether callers is set: named callers with token budgets (its value is read as a secret)
 */
public record StackConfig(
        String location,
        int openaiCapacity,
        List<String> openaiLocations,
        List<Integer> priorities,
        Model chat,
        Model embedding,
        Optional<String> proxyImage,
        ProxyImage.Builder imageBuilder,
        int proxyMinReplicas,
        int proxyMaxReplicas,
        double proxyCpu,
        String proxyMemory,
        boolean hasApiKeys,
        List<String> allowedPrincipals,
        boolean hasCallers) {

    static final List<String> DEFAULT_LOCATIONS = List.of("eastus", "northcentralus", "eastus2");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** SPILLWAY_CALLERS' fields (DESIGN.md), in the order README lists them. */
    private static final List<String> CALLER_FIELDS = List.of("name", "apiKeys", "principals", "tokensPerMinute", "tokenQuota", "tokenQuotaPeriod");

    /** A model deployment on every account. */
    public record Model(String deploymentName, String name, String version, String sku) {}

    /**
     * @param value    looks a key of this project's configuration up, empty when unset
     * @param isSecret whether the stack stores a key encrypted ({@code pulumi config set --secret})
     */
    public static StackConfig read(Function<String, Optional<String>> value, Predicate<String> isSecret) {
        String location = text(value, "location", "eastus");
        int capacity = integer(value, "openaiCapacity", 30, 1, 100_000);
        List<String> locations = locations(value);
        List<Integer> priorities = priorities(value, locations.size());
        int min = integer(value, "proxyMinReplicas", 1, 0, 300);
        int max = integer(value, "proxyMaxReplicas", 3, 1, 300);
        if (min > max) {
            throw new StackConfigException("proxyMinReplicas", "is " + min + ", more than proxyMaxReplicas (" + max + ")");
        }
        double cpu = decimal(value, "proxyCpu", 0.5);
        String memory = text(value, "proxyMemory", "1Gi");
        if (!memory.matches("^\\d+(\\.\\d+)?Gi$")) {
            throw new StackConfigException("proxyMemory", "must look like 1Gi or 0.5Gi, got '" + memory + "'");
        }
        consumptionPlanPair(cpu, memory);
        return new StackConfig(location, capacity, locations, priorities,
                new Model("chat", text(value, "chatModel", "gpt-5.4-mini"), text(value, "chatModelVersion", "2026-03-17"),
                        text(value, "chatSku", "GlobalStandard")),
                new Model("embedding", text(value, "embeddingModel", "text-embedding-3-small"), text(value, "embeddingModelVersion", "1"),
                        text(value, "embeddingSku", "GlobalStandard")),
                value.apply("proxyImage").map(String::trim).filter(image -> !image.isEmpty()),
                imageBuilder(value),
                min, max, cpu, memory,
                hasApiKeys(value, isSecret),
                value.apply("proxyAllowedPrincipals").map(v -> Arrays.stream(v.split(",")).map(String::trim).filter(p -> !p.isEmpty()).toList())
                        .orElse(List.of()),
                hasCallers(value, isSecret));
    }

    /**
     * {@code callers} is structured ({@code pulumi config set --secret --path 'callers[0].name' team-a}),
     * which Pulumi.yaml cannot declare (its types are string, integer, boolean and arrays of those),
     * so it is not declared there; the proxy checks every field at start-up. Here: its shape, and that
     * keys are stored encrypted (with {@code --secret}, Pulumi marks the whole key secret).
     */
    private static boolean hasCallers(Function<String, Optional<String>> value, Predicate<String> isSecret) {
        Optional<String> raw = value.apply("callers").map(String::trim).filter(text -> !text.isEmpty());
        if (raw.isEmpty()) {
            return false;
        }
        JsonNode callers = array(raw.get(), "callers", "[{\"name\": \"team-a\", \"apiKeys\": [\"...\"], \"tokensPerMinute\": 20000}]");
        for (JsonNode caller : callers) {
            if (!caller.isObject() || !caller.path("name").isTextual()) {
                throw new StackConfigException("callers", "every entry needs a \"name\": pulumi config set --secret --path 'callers[0].name' team-a");
            }
            for (Iterator<String> fields = caller.fieldNames(); fields.hasNext(); ) {
                String field = fields.next();
                if (!CALLER_FIELDS.contains(field)) {
                    throw new StackConfigException("callers", "caller '" + caller.path("name").asText() + "' has unknown field \"" + field
                            + "\"; allowed fields are " + String.join(", ", CALLER_FIELDS));
                }
            }
            if (caller.path("apiKeys").size() > 0 && !isSecret.test("callers")) {
                throw new StackConfigException("callers", "holds API keys in plain text in the stack file; store them encrypted: "
                        + "pulumi config rm callers, then pulumi config set --secret --path 'callers[0].apiKeys[0]' <key>");
            }
        }
        return true;
    }

    /**
     * The CLI cannot require encryption for an optional key (a {@code secret: true} key in Pulumi.yaml
     * has no default, so every stack would have to set it), so the program refuses a plain-text value.
     */
    private static boolean hasApiKeys(Function<String, Optional<String>> value, Predicate<String> isSecret) {
        boolean set = value.apply("proxyApiKeys").map(String::trim).filter(keys -> !keys.isEmpty()).isPresent();
        if (set && !isSecret.test("proxyApiKeys")) {
            throw new StackConfigException("proxyApiKeys", "is stored in plain text in the stack file; store it encrypted: "
                    + "pulumi config rm proxyApiKeys && pulumi config set --secret proxyApiKeys <key>");
        }
        return set;
    }

    private static ProxyImage.Builder imageBuilder(Function<String, Optional<String>> value) {
        String builder = text(value, "imageBuilder", "registry");
        return switch (builder) {
            case "registry" -> ProxyImage.Builder.REGISTRY;
            case "local" -> ProxyImage.Builder.LOCAL;
            default -> throw new StackConfigException("imageBuilder", "must be registry (build in the stack's registry, no Docker "
                    + "needed) or local (docker build on this machine), got '" + builder + "'");
        };
    }

    private static List<String> locations(Function<String, Optional<String>> value) {
        Optional<String> raw = value.apply("openaiLocations");
        if (raw.isEmpty()) {
            return DEFAULT_LOCATIONS;
        }
        JsonNode array = array(raw.get(), "openaiLocations", "[\"eastus\", \"swedencentral\"]");
        List<String> locations = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (JsonNode item : array) {
            String location = item.asText("").trim().toLowerCase(java.util.Locale.ROOT).replace(" ", "");
            if (!item.isTextual() || !location.matches("^[a-z0-9]+$")) {
                throw new StackConfigException("openaiLocations", "'" + item.asText() + "' is not an Azure region name such as eastus");
            }
            if (!seen.add(location)) {
                throw new StackConfigException("openaiLocations", location + " is listed twice; quota is per region, so "
                        + "a second account there adds no capacity. Use distinct regions");
            }
            locations.add(location);
        }
        if (locations.isEmpty()) {
            throw new StackConfigException("openaiLocations", "needs at least one region");
        }
        return List.copyOf(locations);
    }

    private static List<Integer> priorities(Function<String, Optional<String>> value, int accounts) {
        Optional<String> raw = value.apply("backendPriorities");
        List<Integer> priorities = new ArrayList<>();
        if (raw.isPresent()) {
            for (JsonNode item : array(raw.get(), "backendPriorities", "[1, 2, 2]")) {
                if (!item.isIntegralNumber() || item.asInt() < 0) {
                    throw new StackConfigException("backendPriorities", "entries must be whole numbers >= 0, got " + item);
                }
                priorities.add(item.asInt());
            }
        }
        if (priorities.isEmpty()) {
            return java.util.Collections.nCopies(accounts, 1);
        }
        if (priorities.size() != accounts) {
            throw new StackConfigException("backendPriorities", "has " + priorities.size() + " entries but openaiLocations has "
                    + accounts + "; give one priority per region, in the same order");
        }
        return List.copyOf(priorities);
    }

    /**
     * Container Apps' Consumption plan takes only these pairs: 0.25 to 4 vCPU in steps of 0.25, with
     * 2 GiB of memory per vCPU (learn.microsoft.com, Azure Container Apps, "Containers", allocations).
     * Azure refuses anything else when the revision is created, long after the plan.
     */
    private static void consumptionPlanPair(double cpu, String memory) {
        if (Math.abs(cpu * 4 - Math.rint(cpu * 4)) > 1e-9) {
            throw new StackConfigException("proxyCpu", "must be a multiple of 0.25 vCPU (0.25, 0.5, ... 4), got " + cpu);
        }
        double gib = Double.parseDouble(memory.substring(0, memory.length() - 2));
        if (Math.abs(gib - 2 * cpu) > 1e-9) {
            String expected = BigDecimal.valueOf(2 * cpu).stripTrailingZeros().toPlainString() + "Gi";
            throw new StackConfigException("proxyMemory", "must be " + expected + " for proxyCpu " + cpu
                    + " (Container Apps pairs 2 GiB with each vCPU), got " + memory);
        }
    }

    private static JsonNode array(String raw, String key, String example) {
        try {
            JsonNode node = JSON.readTree(raw);
            if (node != null && node.isArray()) {
                return node;
            }
        } catch (IOException e) {
            // reported below
        }
        throw new StackConfigException(key, "must be a list, such as " + example + " (pulumi config set --path '" + key + "[0]' ...)");
    }

    private static String text(Function<String, Optional<String>> value, String key, String fallback) {
        String text = value.apply(key).map(String::trim).orElse(fallback);
        if (text.isEmpty()) {
            throw new StackConfigException(key, "must not be empty");
        }
        return text;
    }

    private static int integer(Function<String, Optional<String>> value, String key, int fallback, int min, int max) {
        Optional<String> raw = value.apply(key).map(String::trim);
        if (raw.isEmpty()) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(raw.get());
            if (parsed < min || parsed > max) {
                throw new StackConfigException(key, "must be between " + min + " and " + max + ", got " + parsed);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new StackConfigException(key, "must be a whole number, got '" + raw.get() + "'");
        }
    }

    private static double decimal(Function<String, Optional<String>> value, String key, double fallback) {
        Optional<String> raw = value.apply(key).map(String::trim);
        if (raw.isEmpty()) {
            return fallback;
        }
        try {
            double parsed = Double.parseDouble(raw.get());
            if (!(parsed > 0 && parsed <= 4)) {
                throw new StackConfigException(key, "must be more than 0 and at most 4 vCPU, got " + raw.get());
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new StackConfigException(key, "must be a number such as 0.5, got '" + raw.get() + "'");
        }
    }
}
