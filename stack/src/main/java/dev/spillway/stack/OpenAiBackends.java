package dev.spillway.stack;

import com.pulumi.azurenative.authorization.RoleAssignment;
import com.pulumi.azurenative.authorization.RoleAssignmentArgs;
import com.pulumi.azurenative.cognitiveservices.Account;
import com.pulumi.azurenative.cognitiveservices.AccountArgs;
import com.pulumi.azurenative.cognitiveservices.Deployment;
import com.pulumi.azurenative.cognitiveservices.DeploymentArgs;
import com.pulumi.azurenative.cognitiveservices.inputs.AccountPropertiesArgs;
import com.pulumi.azurenative.cognitiveservices.inputs.DeploymentModelArgs;
import com.pulumi.azurenative.cognitiveservices.inputs.DeploymentPropertiesArgs;
import com.pulumi.azurenative.cognitiveservices.inputs.SkuArgs;
import com.pulumi.azurenative.cognitiveservices.enums.DeploymentModelVersionUpgradeOption;
import com.pulumi.core.Alias;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Azure OpenAI accounts, one per region, each with a `chat` and an `embedding` deployment of
 * the configured capacity, and the role that lets the proxy's identity call them. Keys are
 * disabled: the proxy authenticates with its managed identity, so there is no key to leak.
 */
public final class OpenAiBackends extends ComponentResource {

    /** Cognitive Services OpenAI User: call the inference API, nothing else. */
    static final String OPENAI_USER_ROLE = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd";

    /**
     * @param resourceGroupName where the accounts go
     * @param identityPrincipalId the proxy identity that gets the OpenAI User role on each account
     */
    public record Args(Output<String> resourceGroupName, Output<String> subscriptionId, Output<String> identityPrincipalId,
                       StackConfig config, ResourceNames names) {}

    /** One account as the proxy sees it. */
    public record Backend(String name, String location, int priority, Output<String> endpoint) {}

    private final List<Backend> backends = new ArrayList<>();
    private final List<Resource> accessGrants = new ArrayList<>();

    public OpenAiBackends(String name, Args args, ComponentResourceOptions options) {
        super("spillway:stack:OpenAiBackends", name, options);
        StackConfig config = args.config();
        for (int i = 0; i < config.openaiLocations().size(); i++) {
            String location = config.openaiLocations().get(i);
            // Named by region, not position: dropping or reordering a region must not turn one account into another.
            String backendName = ResourceNames.perRegion("openai", location);
            // Stacks created before the rename knew these resources as openai1..N in openaiLocations order.
            String formerName = "openai" + (i + 1);
            Output<String> accountName = args.subscriptionId().applyValue(sub -> args.names().openAiAccount(sub, location));
            Account account = new Account(backendName, AccountArgs.builder()
                    .resourceGroupName(args.resourceGroupName())
                    .accountName(accountName)
                    .location(location)
                    .kind("OpenAI")
                    .sku(SkuArgs.builder().name("S0").build())
                    .properties(AccountPropertiesArgs.builder()
                            // Entra ID tokens need a custom subdomain; disableLocalAuth removes keys altogether.
                            .customSubDomainName(accountName)
                            .disableLocalAuth(true)
                            .publicNetworkAccess("Enabled")
                            .build())
                    .build(), child(formerName, List.of()));
            // ARM refuses parallel deployment operations on one account: the second waits for the first.
            Deployment chat = deployment(backendName, formerName, account, args, config.chat(), config.openaiCapacity(), List.of());
            deployment(backendName, formerName, account, args, config.embedding(), config.openaiCapacity(), List.of(chat));
            Output<String> roleDefinitionId = args.subscriptionId().applyValue(sub ->
                    "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + OPENAI_USER_ROLE);
            accessGrants.add(new RoleAssignment(backendName + "-openai-user", RoleAssignmentArgs.builder()
                    .principalId(args.identityPrincipalId())
                    .principalType("ServicePrincipal")
                    .roleDefinitionId(roleDefinitionId)
                    .roleAssignmentName(Output.tuple(account.id(), args.identityPrincipalId(), roleDefinitionId)
                            .applyValue(t -> ResourceNames.roleAssignment(t.t1, t.t2, t.t3)))
                    .scope(account.id())
                    .build(), grantOptions(this, formerName + "-openai-user")));
            backends.add(new Backend(backendName, location, config.priorities().get(i),
                    account.properties().applyValue(properties -> properties.endpoint())));
        }
        registerOutputs(Map.of("endpoints", Output.all(backends.stream().map(Backend::endpoint).toList())));
    }

    public List<Backend> backends() {
        return List.copyOf(backends);
    }

    /** The role assignments the proxy needs before it starts, so its first calls are not refused. */
    public List<Resource> accessGrants() {
        return List.copyOf(accessGrants);
    }

    private Deployment deployment(String backendName, String formerName, Account account, Args args, StackConfig.Model model,
                                  int capacity, List<Resource> after) {
        return new Deployment(backendName + "-" + model.deploymentName(), DeploymentArgs.builder()
                .resourceGroupName(args.resourceGroupName())
                .accountName(account.name())
                .deploymentName(model.deploymentName())
                .properties(DeploymentPropertiesArgs.builder()
                        .model(DeploymentModelArgs.builder().format("OpenAI").name(model.name()).version(model.version()).build())
                        // Stay on the pinned version; when Azure retires it, move to the default version
                        // instead of failing every call (NoAutoUpgrade would leave a dead deployment).
                        .versionUpgradeOption(DeploymentModelVersionUpgradeOption.OnceCurrentVersionExpired)
                        .build())
                .sku(SkuArgs.builder().name(model.sku()).capacity(capacity).build())
                .build(), child(formerName + "-" + model.deploymentName(), after));
    }

    /**
     * Options for a role assignment. A new name means a new assignment; Azure refuses a second
     * assignment of the same role to the same principal at the same scope (RoleAssignmentExists),
     * so the old one must go first.
     */
    static CustomResourceOptions grantOptions(Resource parent, String formerName) {
        return CustomResourceOptions.builder().parent(parent).deleteBeforeReplace(true)
                .aliases(Alias.builder().name(formerName).build()).build();
    }

    private CustomResourceOptions child(String formerName, List<Resource> after) {
        return CustomResourceOptions.builder().parent(this).dependsOn(after)
                .aliases(Alias.builder().name(formerName).build()).build();
    }
}
