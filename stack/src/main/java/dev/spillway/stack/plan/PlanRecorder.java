package dev.spillway.stack.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.pulumi.resources.Resource;
import com.pulumi.test.Mocks;
import com.pulumi.test.internal.MockMonitor;
import com.pulumi.test.internal.PulumiTestInternal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import pulumirpc.Resource.RegisterResourceRequest;
import pulumirpc.Resource.RegisterResourceResponse;

/**
 * The mock resource monitor, keeping every registration as the engine would receive it: inputs
 * as sent (secrets still marked, so they can be masked), dependencies and parent.
 */
final class PlanRecorder extends MockMonitor {

    private static final String SIGNATURE = "4dabf18193072939515e22adb298388d";
    private static final String SECRET = "1b47061264138c4ac30d75fd1eb44270";
    private static final String RESOURCE_REFERENCE = "5cf8f73096256a8f31e491e813e4eb8e";
    private static final String UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

    private final List<PlannedResource> planned = Collections.synchronizedList(new ArrayList<>());

    PlanRecorder(Mocks mocks) {
        super(mocks, PulumiTestInternal.mockLog());
    }

    @Override
    public CompletableFuture<RegisterResourceResponse> registerResourceAsync(Resource resource, RegisterResourceRequest request) {
        List<String> dependsOn = request.getDependenciesList().stream().map(PlanRecorder::shortUrn).distinct().sorted().toList();
        List<String> aliases = new ArrayList<>();
        request.getAliasesList().forEach(alias -> aliases.add(alias.hasSpec() ? alias.getSpec().getName() : nameOf(alias.getUrn())));
        request.getAliasURNsList().forEach(urn -> aliases.add(nameOf(urn)));
        planned.add(new PlannedResource(request.getType(), request.getName(), json(request.getObject()), dependsOn,
                request.getParent().isEmpty() ? null : shortUrn(request.getParent()),
                aliases.stream().filter(alias -> !alias.isEmpty()).distinct().sorted().toList(), request.getDeleteBeforeReplace(),
                List.copyOf(request.getIgnoreChangesList())));
        return super.registerResourceAsync(resource, request);
    }

    List<PlannedResource> planned() {
        synchronized (planned) {
            return List.copyOf(planned);
        }
    }

    private static String nameOf(String urn) {
        return urn.substring(urn.lastIndexOf("::") + 2);
    }

    /** {@code urn:pulumi:stack::project::parentType$type::name} to {@code type::name}. */
    static String shortUrn(String urn) {
        int nameAt = urn.lastIndexOf("::");
        String typeChain = urn.substring(urn.lastIndexOf("::", nameAt - 1) + 2, nameAt);
        String type = typeChain.substring(typeChain.lastIndexOf('$') + 1);
        return type + "::" + urn.substring(nameAt + 2);
    }

    private static JsonNode json(Struct struct) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        Map<String, Value> fields = struct.getFieldsMap();
        if (fields.containsKey(SIGNATURE)) {
            String kind = fields.get(SIGNATURE).getStringValue();
            if (kind.equals(SECRET)) {
                return JsonNodeFactory.instance.textNode("[secret]");
            }
            if (kind.equals(RESOURCE_REFERENCE) && fields.containsKey("urn")) {
                return JsonNodeFactory.instance.textNode("[resource " + shortUrn(fields.get("urn").getStringValue()) + "]");
            }
        }
        fields.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> node.set(entry.getKey(), json(entry.getValue())));
        return node;
    }

    private static JsonNode json(Value value) {
        return switch (value.getKindCase()) {
            case NULL_VALUE, KIND_NOT_SET -> JsonNodeFactory.instance.nullNode();
            case NUMBER_VALUE -> {
                double number = value.getNumberValue();
                yield number == Math.rint(number) && Math.abs(number) < 1e15
                        ? JsonNodeFactory.instance.numberNode((long) number) : JsonNodeFactory.instance.numberNode(number);
            }
            case STRING_VALUE -> JsonNodeFactory.instance.textNode(UNKNOWN.equals(value.getStringValue()) ? "[unknown]" : value.getStringValue());
            case BOOL_VALUE -> JsonNodeFactory.instance.booleanNode(value.getBoolValue());
            case STRUCT_VALUE -> json(value.getStructValue());
            case LIST_VALUE -> {
                ArrayNode array = JsonNodeFactory.instance.arrayNode();
                value.getListValue().getValuesList().forEach(item -> array.add(json(item)));
                yield array;
            }
        };
    }
}
