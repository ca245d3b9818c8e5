package dev.spillway.stack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.pulumi.azurenative.app.ContainerApp;
import com.pulumi.azurenative.app.ContainerAppArgs;
import com.pulumi.azurenative.app.ManagedEnvironment;
import com.pulumi.azurenative.app.ManagedEnvironmentArgs;
import com.pulumi.azurenative.app.inputs.AppLogsConfigurationArgs;
import com.pulumi.azurenative.app.inputs.ConfigurationArgs;
import com.pulumi.azurenative.app.inputs.ContainerAppProbeArgs;
import com.pulumi.azurenative.app.inputs.ContainerAppProbeHttpGetArgs;
import com.pulumi.azurenative.app.inputs.ContainerArgs;
import com.pulumi.azurenative.app.inputs.ContainerResourcesArgs;
import com.pulumi.azurenative.app.inputs.EnvironmentVarArgs;
import com.pulumi.azurenative.app.inputs.HttpScaleRuleArgs;
import com.pulumi.azurenative.app.inputs.IngressArgs;
import com.pulumi.azurenative.app.inputs.LogAnalyticsConfigurationArgs;
import com.pulumi.azurenative.app.inputs.ManagedServiceIdentityArgs;
import com.pulumi.azurenative.app.inputs.RegistryCredentialsArgs;
import com.pulumi.azurenative.app.inputs.ScaleArgs;
import com.pulumi.azurenative.app.inputs.ScaleRuleArgs;
import com.pulumi.azurenative.app.inputs.SecretArgs;
import com.pulumi.azurenative.app.inputs.TemplateArgs;
import com.pulumi.azurenative.authorization.RoleAssignment;
import com.pulumi.azurenative.authorization.RoleAssignmentArgs;
import com.pulumi.azurenative.containerregistry.Registry;
import com.pulumi.azurenative.containerregistry.RegistryArgs;
import com.pulumi.azurenative.operationalinsights.OperationalinsightsFunctions;
import com.pulumi.azurenative.operationalinsights.Workspace;
import com.pulumi.azurenative.operationalinsights.WorkspaceArgs;
import com.pulumi.azurenative.operationalinsights.inputs.GetSharedKeysArgs;
import com.pulumi.azurenative.operationalinsights.inputs.WorkspaceSkuArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The proxy on Azure Container Apps: a log workspace, the Container Apps environment, a registry
 * (admin user off) with the proxy image built from this repository and pushed, and the container
 * app itself, pulling by digest with the managed identity and wired to every OpenAI backend.
 */
public final class ProxyService extends ComponentResource {

    /** AcrPull: pull images, nothing else. */
    static final String ACR_PULL_ROLE = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
    /** Below Container Apps' 30 s termination grace: drain grace plus drain timeout must end before SIGKILL. */
    static final int DRAIN_GRACE_MS = 3_000;
    static final int DRAIN_TIMEOUT_MS = 25_000;
    static final int PORT = 8080;

    /**
     * @param identity the proxy's user-assigned identity (resource id, client id)
     * @param accessGrants role assignments that must exist before the proxy starts
     * @param apiKeys  the proxyApiKeys secret, when configured
     * @param callers  the callers secret (SPILLWAY_CALLERS' JSON), when configured
     */
    public record Args(Output<String> resourceGroupName, String location, Output<String> subscriptionId, Output<String> tenantId,
                       Output<String> identityId, Output<String> identityClientId, Output<String> identityPrincipalId,
                       List<OpenAiBackends.Backend> backends, List<Resource> accessGrants, Output<String> apiKeys,
                       Output<String> callers, StackConfig config, ResourceNames names, RegistryDataPlane registry) {}

    private final Output<String> url;
    private final Output<String> appName;
    private final Output<String> registryLoginServer;
    private final Optional<Output<String>> imageBuildRunId;

    public ProxyService(String name, Args args, ComponentResourceOptions options) {
        super("spillway:stack:ProxyService", name, options);
        StackConfig config = args.config();

        Workspace logs = new Workspace(name + "-logs", WorkspaceArgs.builder()
                .resourceGroupName(args.resourceGroupName())
                .location(args.location())
                .sku(WorkspaceSkuArgs.builder().name("PerGB2018").build())
                .retentionInDays(30)
                .build(), child());
        Output<String> logsKey = OperationalinsightsFunctions.getSharedKeys(GetSharedKeysArgs.builder()
                        .resourceGroupName(args.resourceGroupName())
                        .workspaceName(logs.name())
                        .build())
                .applyValue(keys -> keys.primarySharedKey().orElseThrow())
                .asSecret();
        ManagedEnvironment environment = new ManagedEnvironment(name + "-env", ManagedEnvironmentArgs.builder()
                .resourceGroupName(args.resourceGroupName())
                .location(args.location())
                .appLogsConfiguration(AppLogsConfigurationArgs.builder()
                        .destination("log-analytics")
                        .logAnalyticsConfiguration(LogAnalyticsConfigurationArgs.builder()
                                .customerId(logs.customerId())
                                .sharedKey(logsKey)
                                .build())
                        .build())
                .build(), child());

        Registry registry = new Registry(name + "-registry", RegistryArgs.builder()
                .resourceGroupName(args.resourceGroupName())
                .location(args.location())
                .registryName(args.subscriptionId().applyValue(sub -> args.names().registry(sub)))
                .sku(com.pulumi.azurenative.containerregistry.inputs.SkuArgs.builder().name("Basic").build())
                .adminUserEnabled(false)
                .build(), child());
        Output<String> acrPullRole = args.subscriptionId().applyValue(sub ->
                "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + ACR_PULL_ROLE);
        RoleAssignment acrPull = new RoleAssignment(name + "-acr-pull", RoleAssignmentArgs.builder()
                .principalId(args.identityPrincipalId())
                .principalType("ServicePrincipal")
                .roleDefinitionId(acrPullRole)
                .roleAssignmentName(Output.tuple(registry.id(), args.identityPrincipalId(), acrPullRole)
                        .applyValue(t -> ResourceNames.roleAssignment(t.t1, t.t2, t.t3)))
                .scope(registry.id())
                .build(), CustomResourceOptions.builder().parent(this).deleteBeforeReplace(true).build());

        // A new AcrPull grant takes minutes to reach the registry. Building the image after it exists
        // gives it those minutes before the first revision pulls; a prebuilt proxyImage does not (README).
        ProxyImage.Site site = new ProxyImage.Site(name, this, registry, args.resourceGroupName(), args.location(), args.tenantId(),
                args.registry(), acrPull);
        ProxyImage.Built built = config.proxyImage().map(ProxyImage::given).orElseGet(() -> switch (config.imageBuilder()) {
            case REGISTRY -> ProxyImage.inRegistry(site);
            case LOCAL -> ProxyImage.local(site, args.names().stack());
        });
        Output<String> image = built.reference();
        this.imageBuildRunId = built.buildRunId();

        List<Resource> startAfter = new ArrayList<>(args.accessGrants());
        startAfter.add(acrPull);
        ContainerApp app = new ContainerApp(name, ContainerAppArgs.builder()
                .resourceGroupName(args.resourceGroupName())
                .location(args.location())
                .managedEnvironmentId(environment.id())
                .identity(ManagedServiceIdentityArgs.builder()
                        .type("UserAssigned")
                        .userAssignedIdentities(args.identityId().applyValue(List::of))
                        .build())
                .configuration(ConfigurationArgs.builder()
                        .ingress(IngressArgs.builder().external(true).targetPort(PORT).allowInsecure(false).transport("auto").build())
                        .registries(RegistryCredentialsArgs.builder().server(registry.loginServer()).identity(args.identityId()).build())
                        .secrets(secrets(args))
                        .build())
                .template(TemplateArgs.builder()
                        .containers(ContainerArgs.builder()
                                .name("proxy")
                                .image(image)
                                .resources(ContainerResourcesArgs.builder().cpu(config.proxyCpu()).memory(config.proxyMemory()).build())
                                .env(environmentVariables(args))
                                .probes(probe("Liveness", "/healthz"), probe("Readiness", "/readyz"))
                                .build())
                        .scale(ScaleArgs.builder()
                                .minReplicas(config.proxyMinReplicas())
                                .maxReplicas(config.proxyMaxReplicas())
                                .rules(ScaleRuleArgs.builder().name("http")
                                        .http(HttpScaleRuleArgs.builder().metadata(Map.of("concurrentRequests", "100")).build())
                                        .build())
                                .build())
                        .build())
                .build(), CustomResourceOptions.builder().parent(this).dependsOn(startAfter).build());

        this.appName = app.name();
        this.registryLoginServer = registry.loginServer();
        this.url = app.configuration().applyValue(configuration -> "https://" + configuration
                .flatMap(c -> c.ingress()).map(ingress -> ingress.fqdn()).orElse(""));
        registerOutputs(Map.of("url", url));
    }

    public Output<String> url() {
        return url;
    }

    public Output<String> appName() {
        return appName;
    }

    public Output<String> registryLoginServer() {
        return registryLoginServer;
    }

    /** The registry build's run id, when the image was built in the registry. */
    public Optional<Output<String>> imageBuildRunId() {
        return imageBuildRunId;
    }

    /** Container Apps secrets: the values never appear in the app's template, only their names. */
    private static List<SecretArgs> secrets(Args args) {
        List<SecretArgs> secrets = new ArrayList<>();
        if (args.config().hasApiKeys()) {
            secrets.add(SecretArgs.builder().name("proxy-api-keys").value(args.apiKeys()).build());
        }
        if (args.config().hasCallers()) {
            secrets.add(SecretArgs.builder().name("proxy-callers").value(args.callers()).build());
        }
        return secrets;
    }

    private static List<EnvironmentVarArgs> environmentVariables(Args args) {
        List<EnvironmentVarArgs> env = new ArrayList<>();
        env.add(EnvironmentVarArgs.builder().name("PORT").value(Integer.toString(PORT)).build());
        env.add(EnvironmentVarArgs.builder().name("SPILLWAY_BACKENDS").value(backendsJson(args.backends())).build());
        env.add(EnvironmentVarArgs.builder().name("AZURE_CLIENT_ID").value(args.identityClientId()).build());
        env.add(EnvironmentVarArgs.builder().name("SPILLWAY_ENTRA_TENANT_ID").value(args.tenantId()).build());
        env.add(EnvironmentVarArgs.builder().name("SPILLWAY_DRAIN_GRACE_MS").value(Integer.toString(DRAIN_GRACE_MS)).build());
        env.add(EnvironmentVarArgs.builder().name("SPILLWAY_DRAIN_TIMEOUT_MS").value(Integer.toString(DRAIN_TIMEOUT_MS)).build());
        if (args.config().hasApiKeys()) {
            env.add(EnvironmentVarArgs.builder().name("SPILLWAY_API_KEYS").secretRef("proxy-api-keys").build());
        }
        if (args.config().hasCallers()) {
            env.add(EnvironmentVarArgs.builder().name("SPILLWAY_CALLERS").secretRef("proxy-callers").build());
        }
        if (!args.config().allowedPrincipals().isEmpty()) {
            env.add(EnvironmentVarArgs.builder().name("SPILLWAY_ALLOWED_PRINCIPALS")
                    .value(String.join(",", args.config().allowedPrincipals())).build());
        }
        return env;
    }

    /** The proxy's SPILLWAY_BACKENDS: every account's endpoint, reached with the managed identity (no apiKey). */
    static Output<String> backendsJson(List<OpenAiBackends.Backend> backends) {
        return Output.all(backends.stream().map(OpenAiBackends.Backend::endpoint).toList()).applyValue(endpoints -> {
            ObjectMapper json = new ObjectMapper();
            ArrayNode array = json.createArrayNode();
            for (int i = 0; i < backends.size(); i++) {
                array.addObject().put("name", backends.get(i).name()).put("url", endpoints.get(i))
                        .put("priority", backends.get(i).priority()).put("weight", 1);
            }
            return array.toString();
        });
    }

    private static ContainerAppProbeArgs probe(String type, String path) {
        return ContainerAppProbeArgs.builder()
                .type(type)
                .httpGet(ContainerAppProbeHttpGetArgs.builder().path(path).port(PORT).build())
                .periodSeconds(type.equals("Readiness") ? 5 : 10)
                .failureThreshold(3)
                .build();
    }

    private CustomResourceOptions child() {
        return CustomResourceOptions.builder().parent(this).build();
    }
}
