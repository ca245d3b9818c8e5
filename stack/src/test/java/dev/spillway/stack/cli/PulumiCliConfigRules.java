package dev.spillway.stack.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The checks the Pulumi CLI makes of a project's declared config and a stack's values before it
 * runs the program at all (so {@code pulumi up}, {@code preview} and {@code destroy} refuse to
 * start), ported from pulumi/pulumi {@code sdk/go/common/workspace}:
 * <ul>
 *   <li>{@code project.go}, {@code Project.Validate}: a key has a default or a value, not both; an
 *       array declares its {@code items}; a default has the declared type; a key outside the project's
 *       namespace has a {@code value} and no type or default;</li>
 *   <li>{@code config.go}, {@code mergeConfig}: a project key with no default and no value that the
 *       stack does not set is missing ("Stack 'dev' is missing configuration value 'x'"); defaults are
 *       then applied as plain-text values;</li>
 *   <li>{@code config.go}, {@code validateStackConfigValue}: a {@code secret: true} key must hold an
 *       encrypted value, so a default for it is refused ("must be encrypted as it's secret"), and every
 *       value has its declared type ({@code project.go}, {@code ValidateConfigValue}: integers may be
 *       strings that parse as integers, booleans the strings true/false).</li>
 * </ul>
 * Mocks apply none of these; this port does, with the CLI's own messages.
 */
final class PulumiCliConfigRules {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PulumiCliConfigRules() {}

    /**
     * {@code Project.Validate}'s config checks; {@code config} is Pulumi.yaml's {@code config:} block.
     * Like the CLI, stops at the first error.
     */
    static List<String> projectErrors(String project, JsonNode config) {
        List<String> errors = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : fields(config).entrySet()) {
            String key = entry.getKey();
            JsonNode type = declaration(entry.getValue());
            boolean hasDefault = type.has("default") && !type.get("default").isNull();
            boolean hasValue = type.has("value") && !type.get("value").isNull();
            if (hasDefault && hasValue) {
                errors.add("project config '" + key + "' cannot have both a 'default' and 'value' attribute");
            }
            if (!errors.isEmpty()) {
                return errors;
            }
            if (namespacedByProject(project, key)) {
                if (type.has("type") && type.get("type").asText().equals("array") && !type.has("items")) {
                    errors.add("The configuration key '" + key + "' declares an array but does not specify the underlying type via the 'items' attribute");
                }
                else if (type.has("type") && hasDefault && !valid(type.get("type").asText(), type.get("items"), type.get("default"))) {
                    errors.add("The default value specified for configuration key '" + key + "' is not of the expected type '"
                            + typeName(type.get("type").asText(), type.get("items")) + "'");
                }
            } else if (type.has("type")) {
                errors.add("Configuration key '" + key + "' is not namespaced by the project and should not define a type");
            } else if (hasDefault) {
                errors.add("Configuration key '" + key + "' is not namespaced by the project and should not define a default value");
            } else if (!hasValue) {
                errors.add("Configuration key '" + key + "' is namespaced and must provide an attribute 'value'");
            }
            if (!errors.isEmpty()) {
                return errors;
            }
        }
        return errors;
    }

    /**
     * {@code mergeConfig} then {@code validateStackConfigValues}: what {@code pulumi up} says before it starts.
     *
     * @param stackConfig the stack file's {@code config:} block (keys as written, e.g. {@code spillway:location})
     */
    static List<String> stackErrors(String project, String stack, JsonNode projectConfig, JsonNode stackConfig) {
        Map<String, JsonNode> values = new TreeMap<>();
        fields(stackConfig).forEach((key, value) -> values.put(key.contains(":") ? key : project + ":" + key, value));
        List<String> missing = new ArrayList<>();
        Map<String, JsonNode> declared = new TreeMap<>(fields(projectConfig));
        for (Map.Entry<String, JsonNode> entry : declared.entrySet()) {
            String fullKey = entry.getKey().contains(":") ? entry.getKey() : project + ":" + entry.getKey();
            JsonNode type = declaration(entry.getValue());
            JsonNode fallback = type.has("default") ? type.get("default") : type.get("value");
            if (!values.containsKey(fullKey)) {
                if (fallback == null || fallback.isNull()) {
                    if (namespacedByProject(project, fullKey)) {
                        missing.add(entry.getKey());
                    }
                } else {
                    values.put(fullKey, fallback); // applied as a plain-text value
                }
            }
        }
        if (!missing.isEmpty()) {
            return List.of("Stack '" + stack + "' is missing configuration " + (missing.size() == 1 ? "value" : "values") + " "
                    + String.join(", ", missing.stream().map(key -> "'" + key + "'").toList()));
        }
        List<String> errors = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : declared.entrySet()) {
            String fullKey = entry.getKey().contains(":") ? entry.getKey() : project + ":" + entry.getKey();
            JsonNode type = declaration(entry.getValue());
            if (!type.has("type")) {
                continue;
            }
            JsonNode value = values.get(fullKey);
            boolean secure = value != null && value.isObject() && value.has("secure");
            if (type.path("secret").asBoolean(false) && !secure) {
                errors.add("Stack '" + stack + "' with configuration key '" + entry.getKey() + "' must be encrypted as it's secret");
                continue;
            }
            // An encrypted value cannot be read here; the CLI decrypts it first. Its plain text is a string.
            JsonNode content = secure ? JSON.getNodeFactory().textNode("") : value;
            if (!secure && !valid(type.get("type").asText(), type.get("items"), content)) {
                errors.add("Stack '" + stack + "' with configuration key '" + entry.getKey() + "' must be of type '"
                        + typeName(type.get("type").asText(), type.get("items")) + "'");
            }
        }
        return errors;
    }

    /** {@code ValidateConfigValue}. */
    static boolean valid(String type, JsonNode items, JsonNode value) {
        if (value == null) {
            return false;
        }
        switch (type) {
            case "string":
                return value.isTextual();
            case "integer":
                if (value.isIntegralNumber() || (value.isNumber() && value.asDouble() == Math.rint(value.asDouble()))) {
                    return true;
                }
                if (value.isTextual()) {
                    try {
                        Long.parseLong(value.asText()); // strconv.Atoi: no sign-less spaces, no decimals
                        return true;
                    } catch (NumberFormatException e) {
                        return false;
                    }
                }
                return false;
            case "boolean":
                return value.isBoolean() || (value.isTextual() && (value.asText().equals("true") || value.asText().equals("false")));
            case "object":
                return value.isObject();
            default:
                if (!value.isArray() || items == null) {
                    return false;
                }
                for (JsonNode item : value) {
                    if (!valid(items.path("type").asText(), items.get("items"), item)) {
                        return false;
                    }
                }
                return true;
        }
    }

    /** The shorthand {@code key: value} declares a project key with that default (RewriteShorthandConfigValues). */
    private static JsonNode declaration(JsonNode node) {
        if (node.isObject()) {
            return node;
        }
        return JSON.createObjectNode().set("default", node);
    }

    private static boolean namespacedByProject(String project, String key) {
        return !key.contains(":") || key.startsWith(project + ":");
    }

    private static String typeName(String type, JsonNode items) {
        return items == null ? type : "array<" + typeName(items.path("type").asText(), items.get("items")) + ">";
    }

    private static Map<String, JsonNode> fields(JsonNode node) {
        Map<String, JsonNode> fields = new TreeMap<>();
        if (node != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                fields.put(field.getKey(), field.getValue());
            }
        }
        return fields;
    }

    static JsonNode parse(String json) throws IOException {
        return JSON.readTree(json);
    }
}
