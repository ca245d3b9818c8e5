package dev.spillway.stack.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.pulumi.core.Output;
import com.pulumi.test.TestOptions;
import com.pulumi.test.TestResult;
import com.pulumi.test.internal.PulumiTestInternal;
import dev.spillway.stack.App;
import dev.spillway.stack.RegistryDataPlane;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the stack program under mocks, with no Pulumi CLI and no Azure login, and reports every
 * resource it would register: what {@code pulumi up} would create. {@code scripts/plan} prints it
 * for the dev stack's configuration plus overrides; the stack's tests assert on it.
 */
public final class OfflinePlan {

    public static final String PROJECT = "spillway";
    /** What {@link #readStackConfig} gives for a value stored encrypted ({@code secure:}) in the stack file. */
    public static final String ENCRYPTED = "[encrypted in the stack file; not readable offline]";
    private static final Set<String> SECRET_KEYS = Set.of("proxyApiKeys", "callers");

    /** @param errors what the program reported as errors (a bad config value, say); empty on success */
    public record Result(List<PlannedResource> resources, Map<String, Object> outputs, List<String> errors) {

        public List<PlannedResource> ofType(String type) {
            return resources.stream().filter(resource -> resource.type().equals(type)).toList();
        }

        public PlannedResource named(String type, String name) {
            return resources.stream().filter(r -> r.type().equals(type) && r.name().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + type + " named " + name + " in the plan"));
        }
    }

    private OfflinePlan() {}

    /**
     * One offline run.
     *
     * @param config     this project's keys (without the {@code spillway:} prefix) to their values; lists as JSON
     * @param preview    run as {@code pulumi preview} does (a dry run)
     * @param secretKeys the keys the stack stores encrypted
     * @param registry   stands in for the program's calls to the registry outside the engine
     * @param mocks      stands in for Azure
     */
    public record Options(String stack, Map<String, String> config, boolean preview, Set<String> secretKeys,
                          RegistryDataPlane registry, OfflineMocks mocks) {

        /** The stack with this config, as `pulumi up` would run it, with fakes that call nothing. */
        public static Options of(String stack, Map<String, String> config) {
            return new Options(stack, config, false, SECRET_KEYS, new RegistryDataPlane(
                    (server, tenant, token) -> "offline-registry-refresh-token", (url, archive) -> { }), new OfflineMocks());
        }

        public Options preview(boolean dryRun) {
            return new Options(stack, config, dryRun, secretKeys, registry, mocks);
        }

        public Options secretKeys(Set<String> keys) {
            return new Options(stack, config, preview, keys, registry, mocks);
        }

        public Options registry(RegistryDataPlane dataPlane) {
            return new Options(stack, config, preview, secretKeys, dataPlane, mocks);
        }

        public Options mocks(OfflineMocks azure) {
            return new Options(stack, config, preview, secretKeys, registry, azure);
        }
    }

    /** @param config this project's keys (without the {@code spillway:} prefix) to their values; lists as JSON */
    public static Result run(String stack, Map<String, String> config) {
        return run(Options.of(stack, config));
    }

    public static Result run(Options options) {
        Map<String, String> full = new HashMap<>();
        Set<String> secrets = new HashSet<>();
        options.config().forEach((key, value) -> {
            String fullKey = key.contains(":") ? key : PROJECT + ":" + key;
            full.put(fullKey, value);
            if (options.secretKeys().contains(key)) {
                secrets.add(fullKey);
            }
        });
        PlanRecorder recorder = new PlanRecorder(options.mocks());
        try {
            PulumiTestInternal test = PulumiTestInternal.builder()
                    .options(TestOptions.builder().projectName(PROJECT).stackName(options.stack()).preview(options.preview()).build())
                    .mocks(options.mocks())
                    .monitorDecorator(ignored -> recorder)
                    .config(full, secrets)
                    .build();
            TestResult result = test.runTest(ctx -> App.stack(ctx, options.registry()));
            Map<String, Object> outputs = new LinkedHashMap<>();
            result.outputs().forEach((name, output) -> outputs.put(name, value(output)));
            List<String> errors = new java.util.ArrayList<>(result.errors());
            result.exceptions().forEach(e -> errors.add(rootMessage(e)));
            List<PlannedResource> sorted = recorder.planned().stream()
                    .sorted(Comparator.comparing(PlannedResource::type).thenComparing(PlannedResource::name)).toList();
            return new Result(sorted, outputs, List.copyOf(errors));
        } finally {
            PulumiTestInternal.cleanup();
        }
    }

    /** A stack's configuration file, such as Pulumi.dev.yaml, as this project's keys to values (lists as JSON). */
    public static Map<String, String> readStackConfig(Path file) throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        JsonNode root = yaml.readTree(Files.readString(file)).path("config");
        Map<String, String> config = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = root.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            String key = field.getKey().startsWith(PROJECT + ":") ? field.getKey().substring(PROJECT.length() + 1) : field.getKey();
            JsonNode value = field.getValue();
            if (value.has("secure")) {
                config.put(key, ENCRYPTED);
            } else {
                config.put(key, value.isContainerNode() ? value.toString() : value.asText());
            }
        }
        return config;
    }

    /** The plan as {@code scripts/plan} prints it: a JSON array sorted by type and name, secrets masked. */
    public static String toJson(Result result) {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ArrayNode array = json.createArrayNode();
        for (PlannedResource resource : result.resources()) {
            ObjectNode node = array.addObject();
            node.put("type", resource.type());
            node.put("name", resource.name());
            node.set("inputs", resource.inputs());
            ArrayNode dependsOn = node.putArray("dependsOn");
            resource.dependsOn().forEach(dependsOn::add);
            node.put("parent", resource.parent());
            if (!resource.aliases().isEmpty()) {
                ArrayNode aliases = node.putArray("aliases");
                resource.aliases().forEach(aliases::add);
            }
            if (!resource.ignoreChanges().isEmpty()) {
                ArrayNode ignored = node.putArray("ignoreChanges");
                resource.ignoreChanges().forEach(ignored::add);
            }
            if (resource.deleteBeforeReplace()) {
                node.put("deleteBeforeReplace", true);
            }
        }
        try {
            return json.writeValueAsString(array);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code scripts/plan [--stack dev] [key=value ...]}: prints the plan, or the configuration error and exit 2. */
    public static void main(String[] args) throws IOException {
        String stack = "dev";
        Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--stack") && i + 1 < args.length) {
                stack = args[++i];
            } else if (args[i].contains("=")) {
                overrides.put(args[i].substring(0, args[i].indexOf('=')), args[i].substring(args[i].indexOf('=') + 1));
            } else {
                System.err.println("usage: scripts/plan [--stack dev] [key=value ...]   e.g. scripts/plan openaiCapacity=50 'openaiLocations=[\"eastus\",\"swedencentral\"]'");
                System.exit(2);
            }
        }
        Path file = Path.of("Pulumi." + stack + ".yaml");
        Map<String, String> config = Files.exists(file) ? readStackConfig(file) : new LinkedHashMap<>();
        config.putAll(overrides);
        Result result = run(stack, config);
        if (!result.errors().isEmpty()) {
            // The engine's own line repeats the whole java command line; the program's message follows it.
            result.errors().stream().filter(error -> !error.startsWith("Running program [")).distinct()
                    .forEach(error -> System.err.println("plan: " + error));
            System.exit(2);
        }
        System.out.println(toJson(result));
    }

    private static Object value(Output<?> output) {
        try {
            return PulumiTestInternal.extractOutputData(output).getValueNullable();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
