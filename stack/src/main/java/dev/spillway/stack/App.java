package dev.spillway.stack;

import com.pulumi.Context;
import com.pulumi.Pulumi;
import com.pulumi.azurenative.authorization.AuthorizationFunctions;
import com.pulumi.azurenative.authorization.outputs.GetClientConfigResult;
import com.pulumi.azurenative.managedidentity.UserAssignedIdentity;
import com.pulumi.azurenative.managedidentity.UserAssignedIdentityArgs;
import com.pulumi.azurenative.resources.ResourceGroup;
import com.pulumi.azurenative.resources.ResourceGroupArgs;
import com.pulumi.core.Output;
import com.pulumi.deployment.Deployment;
import com.pulumi.resources.ComponentResourceOptions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code pulumi up}: Azure OpenAI accounts in several regions, and the Spillway proxy in front of
 * them on Container Apps. Reads the typed config, then composes the two parts.
 */
public final class App {

    private App() {}

    public static void main(String[] args) {
        Pulumi.run(ctx -> stack(ctx, RegistryDataPlane.overHttps()));
    }

    /** The whole stack; {@code registry} is the only part that talks to Azure outside the engine. */
    public static void stack(Context ctx, RegistryDataPlane registry) {
        StackConfig config = StackConfig.read(key -> ctx.config().get(key),
                key -> Deployment.getInstance().getConfig().isConfigSecret(ctx.projectName() + ":" + key));
        ResourceNames names = new ResourceNames(ctx.stackName());
        Output<GetClientConfigResult> client = AuthorizationFunctions.getClientConfig();
        Output<String> subscriptionId = client.applyValue(GetClientConfigResult::subscriptionId);
        Output<String> tenantId = client.applyValue(GetClientConfigResult::tenantId);

        ResourceGroup group = new ResourceGroup("spillway", ResourceGroupArgs.builder()
                .resourceGroupName("rg-spillway-" + ctx.stackName())
                .location(config.location())
                .build());
        UserAssignedIdentity identity = new UserAssignedIdentity("proxy-identity", UserAssignedIdentityArgs.builder()
                .resourceGroupName(group.name())
                .location(config.location())
                .build());

        OpenAiBackends openai = new OpenAiBackends("openai", new OpenAiBackends.Args(group.name(), subscriptionId,
                identity.principalId(), config, names), ComponentResourceOptions.Empty);

        Output<String> apiKeys = ctx.config().getSecret("proxyApiKeys").applyValue(keys -> keys.orElse(""));
        // A structured value comes as its JSON text, which is what SPILLWAY_CALLERS takes.
        Output<String> callers = ctx.config().getSecret("callers").applyValue(value -> value.orElse(""));
        ProxyService proxy = new ProxyService("proxy", new ProxyService.Args(group.name(), config.location(), subscriptionId,
                tenantId, identity.id(), identity.clientId(), identity.principalId(), openai.backends(), openai.accessGrants(),
                apiKeys, callers, config, names, registry), ComponentResourceOptions.Empty);

        ctx.export("proxyUrl", proxy.url());
        ctx.export("openaiV1BaseUrl", proxy.url().applyValue(url -> url + "/openai/v1"));
        // What a chat app needs beside the base URL: the deployment names it sends as `model` (v1) or in the path.
        ctx.export("chatDeployment", Output.of(config.chat().deploymentName()));
        ctx.export("embeddingDeployment", Output.of(config.embedding().deploymentName()));
        ctx.export("chatModel", Output.of(config.chat().name()));
        ctx.export("embeddingModel", Output.of(config.embedding().name()));
        ctx.export("backends", Output.all(openai.backends().stream().map(OpenAiBackends.Backend::endpoint).toList())
                .applyValue(endpoints -> {
                    Map<String, Map<String, String>> backends = new LinkedHashMap<>();
                    for (int i = 0; i < endpoints.size(); i++) {
                        OpenAiBackends.Backend backend = openai.backends().get(i);
                        backends.put(backend.name(), Map.of("endpoint", endpoints.get(i), "location", backend.location()));
                    }
                    return backends;
                }));
        ctx.export("resourceGroupName", group.name());
        ctx.export("containerAppName", proxy.appName());
        ctx.export("registryLoginServer", proxy.registryLoginServer());
        proxy.imageBuildRunId().ifPresent(runId -> ctx.export("imageBuildRunId", runId));
    }
}
