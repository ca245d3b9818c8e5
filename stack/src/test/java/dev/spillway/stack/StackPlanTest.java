package dev.spillway.stack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spillway.stack.plan.OfflineMocks;
import dev.spillway.stack.plan.OfflinePlan;
import dev.spillway.stack.plan.PlannedResource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The program run under mocks: what `pulumi up` would create, rule by rule. */
class StackPlanTest {

    private static final String ACCOUNT = "azure-native:cognitiveservices:Account";
    private static final String DEPLOYMENT = "azure-native:cognitiveservices:Deployment";
    private static final String ROLE = "azure-native:authorization:RoleAssignment";
    private static final String APP = "azure-native:app:ContainerApp";
    private static final String REGISTRY = "azure-native:containerregistry:Registry";
    private static final String IMAGE = "docker:index/image:Image";
    private static final String TASK_RUN = "azure-native:containerregistry:TaskRun";
    private static final List<String> REGIONS = List.of("eastus", "northcentralus", "eastus2");
    private final ObjectMapper json = new ObjectMapper();

    private static OfflinePlan.Result plan(String... overrides) {
        Map<String, String> config = new HashMap<>(devConfig());
        for (int i = 0; i < overrides.length; i += 2) {
            config.put(overrides[i], overrides[i + 1]);
        }
        return OfflinePlan.run("dev", config);
    }

    private static Map<String, String> devConfig() {
        try {
            return OfflinePlan.readStackConfig(Path.of("../Pulumi.dev.yaml"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static OfflinePlan.Result cleanPlan(String... overrides) {
        OfflinePlan.Result result = plan(overrides);
        assertThat(result.errors()).isEmpty();
        return result;
    }

    private static JsonNode env(OfflinePlan.Result result, String name) {
        for (JsonNode variable : result.named(APP, "proxy").inputs().path("template").path("containers").get(0).path("env")) {
            if (variable.path("name").asText().equals(name)) {
                return variable;
            }
        }
        return null;
    }

    @Test
    void devPlanCreatesExactlyTheResourcesReadmeLists() {
        Map<String, Long> counts = new java.util.TreeMap<>();
        cleanPlan().resources().forEach(resource -> counts.merge(resource.type(), 1L, Long::sum));

        assertThat(counts).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
                Map.entry("pulumi:pulumi:Stack", 1L),
                Map.entry("spillway:stack:OpenAiBackends", 1L),
                Map.entry("spillway:stack:ProxyService", 1L),
                Map.entry("azure-native:resources:ResourceGroup", 1L),
                Map.entry("azure-native:managedidentity:UserAssignedIdentity", 1L),
                Map.entry(ACCOUNT, 3L),
                Map.entry(DEPLOYMENT, 6L),
                Map.entry(ROLE, 4L),
                Map.entry("azure-native:operationalinsights:Workspace", 1L),
                Map.entry("azure-native:app:ManagedEnvironment", 1L),
                Map.entry(REGISTRY, 1L),
                Map.entry(TASK_RUN, 1L),
                Map.entry(APP, 1L)));
    }

    @Test
    void devStackDeploysTheDeclaredCapacityOnGlobalStandardDeploymentsOfS0Accounts() {
        OfflinePlan.Result result = cleanPlan();

        assertThat(result.ofType(ACCOUNT)).allSatisfy(account -> assertThat(account.inputs().path("sku").path("name").asText()).isEqualTo("S0"));
        assertThat(result.ofType(DEPLOYMENT)).allSatisfy(deployment -> {
            assertThat(deployment.inputs().path("sku").path("name").asText()).isEqualTo("GlobalStandard");
            assertThat(deployment.inputs().path("sku").path("capacity").asInt()).as("Pulumi.dev.yaml openaiCapacity").isEqualTo(30);
        });
    }

    @Test
    void proxyListensOnThePortThatIngressAndProbesUse() {
        OfflinePlan.Result result = cleanPlan();
        JsonNode app = result.named(APP, "proxy").inputs();

        int port = env(result, "PORT").path("value").asInt();
        assertThat(port).isEqualTo(8080);
        assertThat(app.path("configuration").path("ingress").path("targetPort").asInt()).isEqualTo(port);
        assertThat(app.path("template").path("containers").get(0).path("probes"))
                .allSatisfy(probe -> assertThat(probe.path("httpGet").path("port").asInt()).isEqualTo(port));
    }

    @Test
    void proxyGetsAValidConsumptionPlanCpuAndMemoryPair() {
        JsonNode resources = cleanPlan().named(APP, "proxy").inputs().path("template").path("containers").get(0).path("resources");

        assertThat(resources.path("cpu").asDouble()).isEqualTo(0.5);
        assertThat(resources.path("memory").asText()).isEqualTo("1Gi");
    }

    @Test
    void registryIsBasicWithLogsKeptThirtyDays() {
        OfflinePlan.Result result = cleanPlan();

        assertThat(result.named(REGISTRY, "proxy-registry").inputs().path("sku").path("name").asText()).isEqualTo("Basic");
        assertThat(result.named("azure-native:operationalinsights:Workspace", "proxy-logs").inputs().path("retentionInDays").asInt())
                .isEqualTo(30);
    }

    @Test
    void cpuAndMemoryThatContainerAppsRefusesStopThePlan() {
        // learn.microsoft.com, Container Apps "Containers: allocations": on the Consumption plan memory is 2 GiB per vCPU,
        // in steps of 0.25 vCPU up to 4.
        assertThat(plan("proxyCpu", "0.5", "proxyMemory", "2Gi").errors()).anySatisfy(error ->
                assertThat(error).contains("spillway:proxyMemory must be 1Gi for proxyCpu 0.5"));
        assertThat(plan("proxyCpu", "0.3", "proxyMemory", "0.6Gi").errors()).anySatisfy(error ->
                assertThat(error).contains("spillway:proxyCpu must be a multiple of 0.25"));
        assertThat(plan("proxyCpu", "1.25", "proxyMemory", "2.5Gi").errors()).isEmpty();
    }

    @Test
    void capacityFlowsToEveryDeployment() {
        OfflinePlan.Result result = cleanPlan("openaiCapacity", "50");

        assertThat(result.ofType(DEPLOYMENT)).hasSize(6)
                .allSatisfy(deployment -> assertThat(deployment.inputs().path("sku").path("capacity").asInt()).isEqualTo(50));
    }

    @Test
    void everyAccountHasAChatAndAnEmbeddingDeploymentOfTheConfiguredModels() {
        OfflinePlan.Result result = cleanPlan("chatModel", "gpt-4.1-mini", "chatModelVersion", "2025-04-14", "chatSku", "Standard");

        JsonNode chat = result.named(DEPLOYMENT, "openai-northcentralus-chat").inputs();
        assertThat(chat.path("deploymentName").asText()).isEqualTo("chat");
        assertThat(chat.path("properties").path("model").path("name").asText()).isEqualTo("gpt-4.1-mini");
        assertThat(chat.path("properties").path("model").path("version").asText()).isEqualTo("2025-04-14");
        assertThat(chat.path("sku").path("name").asText()).isEqualTo("Standard");
        assertThat(result.named(DEPLOYMENT, "openai-northcentralus-embedding").inputs().path("deploymentName").asText()).isEqualTo("embedding");
    }

    @Test
    void oneAccountPerConfiguredRegion() {
        OfflinePlan.Result result = cleanPlan("openaiLocations", "[\"eastus\",\"swedencentral\",\"japaneast\",\"westus3\"]");

        assertThat(result.ofType(ACCOUNT)).extracting(account -> account.inputs().path("location").asText())
                .containsExactlyInAnyOrder("eastus", "swedencentral", "japaneast", "westus3");
    }

    @Test
    void devStackSpreadsItsAccountsOverThreeRegions() {
        assertThat(cleanPlan().ofType(ACCOUNT)).extracting(account -> account.inputs().path("location").asText())
                .doesNotHaveDuplicates().hasSize(3);
    }

    @Test
    void accountsHaveNoKeysAndACustomSubdomainForEntraTokens() {
        assertThat(cleanPlan().ofType(ACCOUNT)).allSatisfy(account -> {
            JsonNode inputs = account.inputs();
            assertThat(inputs.path("kind").asText()).isEqualTo("OpenAI");
            assertThat(inputs.path("sku").path("name").asText()).isEqualTo("S0");
            assertThat(inputs.path("properties").path("disableLocalAuth").asBoolean()).isTrue();
            assertThat(inputs.path("properties").path("customSubDomainName").asText()).isEqualTo(inputs.path("accountName").asText());
        });
    }

    @Test
    void accountNamesAreStableForAStackAndDifferAcrossStacks() {
        List<String> first = cleanPlan().ofType(ACCOUNT).stream().map(a -> a.inputs().path("accountName").asText()).toList();
        List<String> again = cleanPlan().ofType(ACCOUNT).stream().map(a -> a.inputs().path("accountName").asText()).toList();
        List<String> otherStack = OfflinePlan.run("prod", devConfig()).ofType(ACCOUNT).stream()
                .map(a -> a.inputs().path("accountName").asText()).toList();

        assertThat(again).isEqualTo(first);
        assertThat(otherStack).doesNotContainAnyElementsOf(first);
    }

    @Test
    void proxyIdentityGetsOpenAiUserScopedToEachAccount() {
        OfflinePlan.Result result = cleanPlan();

        for (String region : REGIONS) {
            JsonNode role = result.named(ROLE, "openai-" + region + "-openai-user").inputs();
            String accountName = result.named(ACCOUNT, "openai-" + region).inputs().path("accountName").asText();
            assertThat(role.path("roleDefinitionId").asText()).endsWith("/roleDefinitions/5e0bd9bd-7b93-4f28-af87-19fc36ad61bd");
            assertThat(role.path("principalId").asText()).as("the proxy's identity, not the deployer's")
                    .isEqualTo(OfflineMocks.PRINCIPAL).isNotEqualTo(OfflineMocks.DEPLOYER_OBJECT);
            assertThat(role.path("principalType").asText()).isEqualTo("ServicePrincipal");
            assertThat(role.path("scope").asText()).endsWith("/" + accountName);
        }
    }

    @Test
    void roleAssignmentNamesComeFromScopePrincipalAndRole() {
        OfflinePlan.Result result = cleanPlan();

        for (PlannedResource role : result.ofType(ROLE)) {
            JsonNode inputs = role.inputs();
            assertThat(inputs.path("roleAssignmentName").asText()).as(role.name()).isEqualTo(ResourceNames.roleAssignment(
                    inputs.path("scope").asText(), inputs.path("principalId").asText(), inputs.path("roleDefinitionId").asText()));
        }
        assertThat(result.ofType(ROLE)).extracting(role -> role.inputs().path("roleAssignmentName").asText()).doesNotHaveDuplicates();
    }

    @Test
    void aNewRoleAssignmentNameDeletesTheOldAssignmentFirst() {
        // Azure refuses a second assignment of one role to one principal at one scope (RoleAssignmentExists).
        assertThat(cleanPlan().ofType(ROLE)).hasSize(4).allSatisfy(role -> assertThat(role.deleteBeforeReplace()).isTrue());
    }

    @Test
    void removingARegionKeepsEveryOtherAccountsLogicalAndAzureNames() {
        OfflinePlan.Result all = cleanPlan();
        OfflinePlan.Result fewer = cleanPlan("openaiLocations", "[\"eastus\",\"eastus2\"]");

        assertThat(fewer.ofType(ACCOUNT)).hasSize(2);
        for (String region : List.of("eastus", "eastus2")) {
            String account = "openai-" + region;
            assertThat(fewer.named(ACCOUNT, account).inputs().path("accountName"))
                    .isEqualTo(all.named(ACCOUNT, account).inputs().path("accountName"));
            assertThat(fewer.named(ACCOUNT, account).inputs().path("location").asText()).isEqualTo(region);
            for (String deployment : List.of("-chat", "-embedding")) {
                assertThat(fewer.named(DEPLOYMENT, account + deployment).inputs().path("deploymentName"))
                        .isEqualTo(all.named(DEPLOYMENT, account + deployment).inputs().path("deploymentName"));
            }
            assertThat(fewer.named(ROLE, account + "-openai-user").inputs().path("roleAssignmentName"))
                    .isEqualTo(all.named(ROLE, account + "-openai-user").inputs().path("roleAssignmentName"));
        }
    }

    @Test
    void reorderingRegionsRenamesNothing() {
        OfflinePlan.Result reordered = cleanPlan("openaiLocations", "[\"eastus2\",\"eastus\",\"northcentralus\"]");

        assertThat(names(reordered)).isEqualTo(names(cleanPlan()));
    }

    @Test
    void resourcesOfStacksCreatedBeforeTheRenameAreAdoptedThroughAliases() {
        OfflinePlan.Result result = cleanPlan();

        // Before the rename, the accounts were openai1..3 in openaiLocations order (eastus, northcentralus, eastus2).
        assertThat(result.named(ACCOUNT, "openai-northcentralus").aliases()).containsExactly("openai2");
        assertThat(result.named(DEPLOYMENT, "openai-eastus2-embedding").aliases()).containsExactly("openai3-embedding");
        assertThat(result.named(ROLE, "openai-eastus-openai-user").aliases()).containsExactly("openai1-openai-user");
    }

    @Test
    void backendNamesInTheProxyAreTheRegionsNames() throws IOException {
        JsonNode backends = json.readTree(env(cleanPlan(), "SPILLWAY_BACKENDS").path("value").asText());

        assertThat(backends).extracting(backend -> backend.path("name").asText())
                .containsExactly("openai-eastus", "openai-northcentralus", "openai-eastus2");
    }

    @Test
    void deploymentsStayOnTheirVersionUntilAzureRetiresIt() {
        assertThat(cleanPlan().ofType(DEPLOYMENT)).hasSize(6).allSatisfy(deployment ->
                assertThat(deployment.inputs().path("properties").path("versionUpgradeOption").asText()).isEqualTo("OnceCurrentVersionExpired"));
    }

    @Test
    void defaultModelsAreCurrentGaVersions() {
        // Microsoft's retirement schedule (learn.microsoft.com, "Model retirement schedule", 2026-09-02):
        // gpt-5.4-mini 2026-03-17 GA, retires 2027-09-21; text-embedding-3-small 1 GA, retires 2028-02-09.
        // gpt-4o-mini 2024-07-18, the former default, retired 2026-10-01 for GlobalStandard.
        OfflinePlan.Result result = cleanPlan();

        JsonNode chat = result.named(DEPLOYMENT, "openai-eastus-chat").inputs();
        JsonNode embedding = result.named(DEPLOYMENT, "openai-eastus-embedding").inputs();
        assertThat(chat.path("properties").path("model").path("name").asText() + " " + chat.path("properties").path("model").path("version").asText())
                .isEqualTo("gpt-5.4-mini 2026-03-17");
        assertThat(chat.path("sku").path("name").asText()).isEqualTo("GlobalStandard");
        assertThat(embedding.path("properties").path("model").path("name").asText() + " "
                + embedding.path("properties").path("model").path("version").asText()).isEqualTo("text-embedding-3-small 1");
    }

    @Test
    void previewMakesNoRegistryCall() {
        AtomicInteger exchanges = new AtomicInteger();
        AtomicInteger uploads = new AtomicInteger();
        RegistryDataPlane counting = new RegistryDataPlane((server, tenant, token) -> {
            exchanges.incrementAndGet();
            return "refresh-token";
        }, (url, archive) -> uploads.incrementAndGet());

        for (String builder : List.of("local", "registry")) {
            Map<String, String> config = new HashMap<>(devConfig());
            config.put("imageBuilder", builder);
            OfflinePlan.Result preview = OfflinePlan.run(OfflinePlan.Options.of("dev", config).preview(true).registry(counting));
            assertThat(preview.errors()).isEmpty();
            assertThat(preview.ofType(builder.equals("local") ? IMAGE : TASK_RUN)).as(builder).hasSize(1);
        }
        assertThat(exchanges).as("token exchanges during preview").hasValue(0);
        assertThat(uploads).as("context uploads during preview").hasValue(0);

        for (String builder : List.of("local", "registry")) {
            Map<String, String> config = new HashMap<>(devConfig());
            config.put("imageBuilder", builder);
            OfflinePlan.run(OfflinePlan.Options.of("dev", config).registry(counting));
        }
        assertThat(exchanges).as("token exchanges during up").hasValue(1);
        assertThat(uploads).as("context uploads during up").hasValue(1);
    }

    @Test
    void plainTextApiKeysAreRefused() {
        Map<String, String> config = new HashMap<>(devConfig());
        config.put("proxyApiKeys", "key-in-plain-text");

        OfflinePlan.Result result = OfflinePlan.run(OfflinePlan.Options.of("dev", config).secretKeys(Set.of()));

        assertThat(result.errors()).anySatisfy(error -> assertThat(error)
                .contains("spillway:proxyApiKeys is stored in plain text").contains("pulumi config set --secret proxyApiKeys"));
    }

    @Test
    void outputsNameTheDeploymentsAChatAppAsksFor() {
        OfflinePlan.Result result = cleanPlan();

        assertThat(result.outputs()).containsEntry("chatDeployment", "chat").containsEntry("embeddingDeployment", "embedding")
                .containsEntry("chatModel", "gpt-5.4-mini").containsEntry("embeddingModel", "text-embedding-3-small");
    }

    @Test
    void imageBuildWaitsForThePullGrantSoItHasTimeToPropagate() {
        assertThat(cleanPlan("imageBuilder", "local").named(IMAGE, "proxy-image").dependsOn()).contains(ROLE + "::proxy-acr-pull");
        assertThat(cleanPlan().ofType(TASK_RUN)).singleElement().satisfies(run ->
                assertThat(run.dependsOn()).contains(ROLE + "::proxy-acr-pull"));
    }

    private static List<String> names(OfflinePlan.Result result) {
        return result.resources().stream().map(resource -> resource.type() + "::" + resource.name() + "::"
                + resource.inputs().path("accountName").asText() + resource.inputs().path("roleAssignmentName").asText()).sorted().toList();
    }

    @Test
    void registryHasNoAdminUserAndTheProxyPullsWithAcrPull() {
        OfflinePlan.Result result = cleanPlan();

        assertThat(result.named(REGISTRY, "proxy-registry").inputs().path("adminUserEnabled").asBoolean(true)).isFalse();
        JsonNode acrPull = result.named(ROLE, "proxy-acr-pull").inputs();
        assertThat(acrPull.path("roleDefinitionId").asText()).endsWith("/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d");
        assertThat(acrPull.path("scope").asText()).contains("/containerregistry/Registry/");
        JsonNode registries = result.named(APP, "proxy").inputs().path("configuration").path("registries").get(0);
        assertThat(registries.has("identity")).isTrue();
        assertThat(registries.has("passwordSecretRef")).isFalse();
    }

    @Test
    void localBuildIsForAmd64PushedWithAnExchangedTokenAndDeployedByDigest() {
        OfflinePlan.Result result = cleanPlan("imageBuilder", "local");

        JsonNode image = result.named(IMAGE, "proxy-image").inputs();
        assertThat(image.path("build").path("dockerfile").asText()).isEqualTo("../proxy/Dockerfile");
        assertThat(image.path("build").path("platform").asText()).isEqualTo("linux/amd64");
        assertThat(image.path("registry").path("username").asText()).isEqualTo("00000000-0000-0000-0000-000000000000");
        assertThat(image.path("registry").path("password").asText()).isEqualTo("[secret]");
        String running = result.named(APP, "proxy").inputs().path("template").path("containers").get(0).path("image").asText();
        assertThat(running).contains("@sha256:").doesNotContain(":dev");
    }

    @Test
    void configuredProxyImageSkipsTheBuild() {
        OfflinePlan.Result result = cleanPlan("proxyImage", "example.azurecr.io/spillway-proxy@sha256:" + "ab".repeat(32));

        assertThat(result.ofType(IMAGE)).isEmpty();
        assertThat(result.ofType(TASK_RUN)).isEmpty();
        assertThat(result.named(APP, "proxy").inputs().path("template").path("containers").get(0).path("image").asText())
                .startsWith("example.azurecr.io/spillway-proxy@sha256:");
    }

    @Test
    void backendsVariableListsEveryAccountEndpointWithItsPriority() throws IOException {
        OfflinePlan.Result result = cleanPlan("backendPriorities", "[1,2,2]");

        JsonNode backends = json.readTree(env(result, "SPILLWAY_BACKENDS").path("value").asText());
        List<String> endpoints = new ArrayList<>();
        for (PlannedResource account : result.ofType(ACCOUNT)) {
            endpoints.add("https://" + account.inputs().path("accountName").asText() + ".openai.azure.com/");
        }
        assertThat(backends).hasSize(3);
        List<String> urls = new ArrayList<>();
        backends.forEach(backend -> {
            urls.add(backend.path("url").asText());
            assertThat(backend.has("apiKey")).as("backends are reached with the managed identity").isFalse();
        });
        assertThat(urls).containsExactlyInAnyOrderElementsOf(endpoints);
        assertThat(backends.get(0).path("priority").asInt()).isEqualTo(1);
        assertThat(backends.get(2).path("priority").asInt()).isEqualTo(2);
    }

    @Test
    void proxyGetsItsIdentityTenantAndDrainSettings() {
        OfflinePlan.Result result = cleanPlan();

        assertThat(env(result, "AZURE_CLIENT_ID").path("value").asText()).as("the proxy identity's client id, not the deployer's")
                .isEqualTo(OfflineMocks.CLIENT).isNotEqualTo(OfflineMocks.DEPLOYER_CLIENT);
        assertThat(env(result, "SPILLWAY_ENTRA_TENANT_ID").path("value").asText()).isEqualTo(OfflineMocks.TENANT);
        assertThat(env(result, "SPILLWAY_DRAIN_GRACE_MS").path("value").asInt() + env(result, "SPILLWAY_DRAIN_TIMEOUT_MS").path("value").asInt())
                .as("drain must end before Container Apps' 30 s termination grace").isLessThan(30_000);
        assertThat(env(result, "SPILLWAY_API_KEYS")).as("no keys unless configured").isNull();
    }

    @Test
    void apiKeysBecomeAContainerAppsSecretAndNeverAppearInThePlan() {
        OfflinePlan.Result result = cleanPlan("proxyApiKeys", "key-one-secret,key-two-secret");

        JsonNode secrets = result.named(APP, "proxy").inputs().path("configuration").path("secrets");
        assertThat(secrets).hasSize(1);
        assertThat(secrets.get(0).path("name").asText()).isEqualTo("proxy-api-keys");
        assertThat(secrets.get(0).path("value").asText()).isEqualTo("[secret]");
        assertThat(env(result, "SPILLWAY_API_KEYS").path("secretRef").asText()).isEqualTo("proxy-api-keys");
        assertThat(OfflinePlan.toJson(result)).doesNotContain("key-one-secret");
    }

    @Test
    void callersBecomeAContainerAppsSecretBehindSpillwayCallersAndTheirKeysNeverAppearInThePlan() {
        // What `pulumi config set --secret --path 'callers[0].apiKeys[0]' ...` leaves: the key's JSON, marked secret.
        OfflinePlan.Result result = cleanPlan("callers", "[{\"name\":\"team-a\",\"apiKeys\":[\"caller-key-secret\"],"
                + "\"tokensPerMinute\":20000,\"tokenQuota\":5000000,\"tokenQuotaPeriod\":\"monthly\"}]");

        JsonNode secrets = result.named(APP, "proxy").inputs().path("configuration").path("secrets");
        assertThat(secrets).extracting(secret -> secret.path("name").asText()).containsExactly("proxy-callers");
        assertThat(secrets.get(0).path("value").asText()).isEqualTo("[secret]");
        assertThat(env(result, "SPILLWAY_CALLERS").path("secretRef").asText()).isEqualTo("proxy-callers");
        assertThat(OfflinePlan.toJson(result)).doesNotContain("caller-key-secret");
    }

    @Test
    void callersWithApiKeysInPlainTextAreRefused() {
        Map<String, String> config = new HashMap<>(devConfig());
        config.put("callers", "[{\"name\":\"team-a\",\"apiKeys\":[\"plain\"]}]");

        OfflinePlan.Result result = OfflinePlan.run(OfflinePlan.Options.of("dev", config).secretKeys(Set.of()));

        assertThat(result.errors()).anySatisfy(error -> assertThat(error)
                .contains("spillway:callers holds API keys in plain text").contains("pulumi config set --secret --path"));
    }

    @Test
    void callersNamedOnlyByPrincipalsMayBePlainText() {
        Map<String, String> config = new HashMap<>(devConfig());
        config.put("callers", "[{\"name\":\"chat-app\",\"principals\":[\"11111111-2222-3333-4444-555555555555\"],\"tokensPerMinute\":1000}]");

        OfflinePlan.Result result = OfflinePlan.run(OfflinePlan.Options.of("dev", config).secretKeys(Set.of()));

        assertThat(result.errors()).isEmpty();
    }

    @Test
    void aCallerWithAnUnknownFieldIsRefusedBeforeAnythingIsCreated() {
        OfflinePlan.Result result = plan("callers", "[{\"name\":\"team-a\",\"tpm\":5}]");

        assertThat(result.errors()).anySatisfy(error -> assertThat(error).contains("caller 'team-a' has unknown field \"tpm\""));
    }

    @Test
    void ingressIsExternalHttpsOnlyOnPort8080WithProbesAndAnHttpScaleRule() {
        JsonNode app = cleanPlan("proxyMinReplicas", "2", "proxyMaxReplicas", "5").named(APP, "proxy").inputs();

        JsonNode ingress = app.path("configuration").path("ingress");
        assertThat(ingress.path("external").asBoolean()).isTrue();
        assertThat(ingress.path("allowInsecure").asBoolean(true)).isFalse();
        assertThat(ingress.path("targetPort").asInt()).isEqualTo(8080);
        JsonNode probes = app.path("template").path("containers").get(0).path("probes");
        assertThat(probes).extracting(p -> p.path("type").asText() + " " + p.path("httpGet").path("path").asText())
                .containsExactlyInAnyOrder("Liveness /healthz", "Readiness /readyz");
        JsonNode scale = app.path("template").path("scale");
        assertThat(scale.path("minReplicas").asInt()).isEqualTo(2);
        assertThat(scale.path("maxReplicas").asInt()).isEqualTo(5);
        assertThat(scale.path("rules").get(0).path("http").path("metadata").path("concurrentRequests").asText()).isEqualTo("100");
    }

    @Test
    void embeddingDeploymentWaitsForTheChatDeploymentOnTheSameAccount() {
        OfflinePlan.Result result = cleanPlan();

        for (String region : REGIONS) {
            assertThat(result.named(DEPLOYMENT, "openai-" + region + "-embedding").dependsOn())
                    .contains(DEPLOYMENT + "::openai-" + region + "-chat");
        }
    }

    @Test
    void containerAppStartsOnlyAfterEveryRoleAssignment() {
        assertThat(cleanPlan().named(APP, "proxy").dependsOn()).contains(ROLE + "::openai-eastus-openai-user",
                ROLE + "::openai-northcentralus-openai-user", ROLE + "::openai-eastus2-openai-user", ROLE + "::proxy-acr-pull");
    }

    @Test
    void outputsGiveTheProxyUrlAndTheV1BaseUrlForChatApps() {
        OfflinePlan.Result result = cleanPlan();

        assertThat(result.outputs().get("proxyUrl")).isEqualTo("https://" + OfflineMocks.FQDN);
        assertThat(result.outputs().get("openaiV1BaseUrl")).isEqualTo("https://" + OfflineMocks.FQDN + "/openai/v1");
        assertThat(result.outputs().get("resourceGroupName")).isEqualTo("rg-spillway-dev");
        assertThat(result.outputs()).containsKeys("backends", "containerAppName", "registryLoginServer");
        assertThat(result.outputs().get("backends").toString()).contains("openai-northcentralus");
    }

    @Test
    void zeroCapacityIsRefusedNamingTheKey() {
        assertThat(plan("openaiCapacity", "0").errors()).anySatisfy(error ->
                assertThat(error).contains("spillway:openaiCapacity must be between 1 and"));
    }

    @Test
    void nonNumericCapacityIsRefusedNamingTheKey() {
        assertThat(plan("openaiCapacity", "lots").errors()).anySatisfy(error ->
                assertThat(error).contains("spillway:openaiCapacity must be a whole number"));
    }

    @Test
    void duplicateRegionsAreRefused() {
        assertThat(plan("openaiLocations", "[\"eastus\",\"eastus\"]").errors()).anySatisfy(error ->
                assertThat(error).contains("spillway:openaiLocations eastus is listed twice"));
    }

    @Test
    void prioritiesMustMatchTheRegions() {
        assertThat(plan("backendPriorities", "[1,2]").errors()).anySatisfy(error ->
                assertThat(error).contains("spillway:backendPriorities has 2 entries but openaiLocations has 3"));
    }

    @Test
    void replicaBoundsMustBeOrdered() {
        assertThat(plan("proxyMinReplicas", "4", "proxyMaxReplicas", "2").errors()).anySatisfy(error ->
                assertThat(error).contains("spillway:proxyMinReplicas is 4, more than proxyMaxReplicas (2)"));
    }
}
