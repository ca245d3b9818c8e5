package dev.spillway.stack.plan;

import com.pulumi.test.Mocks;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Stands in for Azure while the program runs offline: every resource echoes its inputs and gets
 * the outputs the program reads (endpoints, identity ids, registry login server, ...), shaped as
 * the real provider returns them; invokes get plausible answers. Nothing leaves the machine.
 */
public final class OfflineMocks implements Mocks {

    public static final String SUBSCRIPTION = "00000000-0000-0000-0000-00000000aaaa";
    public static final String TENANT = "00000000-0000-0000-0000-00000000bbbb";
    /** The proxy's user-assigned identity. */
    public static final String PRINCIPAL = "00000000-0000-0000-0000-00000000cccc";
    public static final String CLIENT = "00000000-0000-0000-0000-00000000dddd";
    /**
     * Whoever runs {@code pulumi up}. Other ids than the proxy's, so that wiring the deployer's where
     * the proxy's belong (its client id as AZURE_CLIENT_ID, its object id in a role assignment) shows.
     */
    public static final String DEPLOYER_OBJECT = "00000000-0000-0000-0000-0000000d0b1e";
    public static final String DEPLOYER_CLIENT = "00000000-0000-0000-0000-0000000dc11e";
    public static final String FQDN = "proxy.example.eastus.azurecontainerapps.io";
    public static final String BUILD_DIGEST = "sha256:" + "fedcba9876543210".repeat(4);
    public static final String BUILD_RUN_ID = "ca1";
    public static final String UPLOAD_URL = "https://offline.blob.core.windows.net/source/upload.tar.gz?sv=2026&sig=offline-sas";
    public static final String UPLOAD_PATH = "source/202612010000/offline.tar.gz";

    private final String buildStatus;
    private final String buildError;

    /** Azure where every registry build succeeds. */
    public OfflineMocks() {
        this("Succeeded", "");
    }

    private OfflineMocks(String buildStatus, String buildError) {
        this.buildStatus = buildStatus;
        this.buildError = buildError;
    }

    /** Azure where every registry build fails with this error. */
    public static OfflineMocks failingBuilds(String error) {
        return new OfflineMocks("Failed", error);
    }

    @Override
    public CompletableFuture<ResourceResult> newResourceAsync(ResourceArgs args) {
        Map<String, Object> state = new LinkedHashMap<>(args.inputs);
        String name = args.name;
        switch (args.type) {
            case "azure-native:resources:ResourceGroup" -> name = text(args.inputs, "resourceGroupName", name);
            case "azure-native:managedidentity:UserAssignedIdentity" -> {
                state.put("principalId", PRINCIPAL);
                state.put("clientId", CLIENT);
                state.put("tenantId", TENANT);
            }
            case "azure-native:cognitiveservices:Account" -> {
                name = text(args.inputs, "accountName", name);
                Map<String, Object> properties = new HashMap<>(map(args.inputs.get("properties")));
                properties.put("endpoint", "https://" + name + ".openai.azure.com/");
                state.put("properties", properties);
            }
            case "azure-native:containerregistry:Registry" -> {
                name = text(args.inputs, "registryName", name);
                state.put("loginServer", name + ".azurecr.io");
            }
            case "azure-native:operationalinsights:Workspace" -> state.put("customerId", "00000000-0000-0000-0000-00000000eeee");
            case "azure-native:app:ContainerApp" -> {
                Map<String, Object> configuration = new HashMap<>(map(args.inputs.get("configuration")));
                Map<String, Object> ingress = new HashMap<>(map(configuration.get("ingress")));
                ingress.put("fqdn", FQDN);
                configuration.put("ingress", ingress);
                state.put("configuration", configuration);
                // The input is a list of identity ids; the provider's output is a map keyed by them.
                Map<String, Object> identity = new HashMap<>(map(args.inputs.get("identity")));
                if (identity.get("userAssignedIdentities") instanceof List<?> ids) {
                    Map<String, Object> byId = new LinkedHashMap<>();
                    ids.forEach(id -> byId.put(String.valueOf(id), Map.of("principalId", PRINCIPAL, "clientId", CLIENT)));
                    identity.put("userAssignedIdentities", byId);
                }
                state.put("identity", identity);
            }
            case "azure-native:containerregistry:TaskRun" -> {
                Map<String, Object> request = map(args.inputs.get("runRequest"));
                List<Map<String, Object>> images = new java.util.ArrayList<>();
                if (request.get("imageNames") instanceof List<?> names && buildStatus.equals("Succeeded")) {
                    for (Object image : names) {
                        String[] repositoryAndTag = String.valueOf(image).split(":", 2);
                        images.add(Map.of("registry", "registry.azurecr.io", "repository", repositoryAndTag[0],
                                "tag", repositoryAndTag.length > 1 ? repositoryAndTag[1] : "latest", "digest", BUILD_DIGEST));
                    }
                }
                state.put("runResult", Map.of("runId", BUILD_RUN_ID, "status", buildStatus, "runErrorMessage", buildError,
                        "outputImages", images, "id", "run-id", "name", BUILD_RUN_ID, "type", "Microsoft.ContainerRegistry/registries/runs"));
                state.put("provisioningState", "Succeeded");
            }
            case "docker:index/image:Image" -> {
                String image = text(args.inputs, "imageName", "image:latest");
                state.put("repoDigest", image.replaceAll(":[^:/]*$", "") + "@sha256:" + "0123456789abcdef".repeat(4));
            }
            default -> { }
        }
        state.putIfAbsent("name", name);
        String id = "/subscriptions/" + SUBSCRIPTION + "/resourceGroups/rg/providers/" + args.type.replace(':', '/') + "/" + name;
        return CompletableFuture.completedFuture(ResourceResult.of(Optional.of(id), state));
    }

    @Override
    public CompletableFuture<Map<String, Object>> callAsync(CallArgs args) {
        Map<String, Object> result = switch (args.token) {
            case "azure-native:authorization:getClientConfig" ->
                    Map.of("clientId", DEPLOYER_CLIENT, "objectId", DEPLOYER_OBJECT, "subscriptionId", SUBSCRIPTION, "tenantId", TENANT);
            case "azure-native:authorization:getClientToken" -> Map.of("token", "offline-entra-token");
            case "azure-native:containerregistry:listRegistryBuildSourceUploadUrl" ->
                    Map.of("uploadUrl", UPLOAD_URL, "relativePath", UPLOAD_PATH);
            case "azure-native:operationalinsights:getSharedKeys" -> Map.of("primarySharedKey", "offline-shared-key",
                    "secondarySharedKey", "offline-shared-key-2");
            default -> Map.of();
        };
        return CompletableFuture.completedFuture(result);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }

    private static String text(Map<String, Object> inputs, String key, String fallback) {
        Object value = inputs.get(key);
        return value instanceof String text ? text : fallback;
    }
}
