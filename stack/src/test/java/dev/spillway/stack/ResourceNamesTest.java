package dev.spillway.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Azure's naming rules (learn.microsoft.com, "Naming rules and restrictions for Azure resources"):
 * a Cognitive Services account (and its custom subdomain) is 2-64 letters, digits and hyphens,
 * starting and ending with a letter or digit; a container registry is 5-50 letters and digits,
 * globally unique; a role assignment's name is a GUID, unique in the tenant.
 */
class ResourceNamesTest {

    private static final String SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
    private static final String ROLE = "/subscriptions/" + SUBSCRIPTION + "/providers/Microsoft.Authorization/roleDefinitions/5e0bd9bd-7b93-4f28-af87-19fc36ad61bd";
    private static final String SCOPE = "/subscriptions/" + SUBSCRIPTION + "/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a";
    private static final List<String> STACKS = List.of("dev", "production-eastus-blue-green-canary-2026", "Team_A.Staging", "-", "x");
    private static final List<String> REGIONS = List.of("eastus", "australiasoutheast", "southcentralusstage", "germanywestcentral");

    @Test
    void accountNamesFitAzuresRuleForAnyStackAndRegion() {
        for (String stack : STACKS) {
            for (String region : REGIONS) {
                assertThat(new ResourceNames(stack).openAiAccount(SUBSCRIPTION, region)).as(stack + " in " + region)
                        .hasSizeBetween(2, 64).matches("^[a-z0-9][a-z0-9-]*[a-z0-9]$");
            }
        }
    }

    @Test
    void registryNamesFitAzuresRuleForAnyStack() {
        for (String stack : STACKS) {
            assertThat(new ResourceNames(stack).registry(SUBSCRIPTION)).as(stack).hasSizeBetween(5, 50).matches("^[a-z0-9]+$");
        }
    }

    @Test
    void accountNamesDifferAcrossSubscriptionsStacksAndRegions() {
        ResourceNames dev = new ResourceNames("dev");

        assertThat(List.of(dev.openAiAccount(SUBSCRIPTION, "eastus"), dev.openAiAccount("99999999-2222-3333-4444-555555555555", "eastus"),
                new ResourceNames("prod").openAiAccount(SUBSCRIPTION, "eastus"), dev.openAiAccount(SUBSCRIPTION, "eastus2")))
                .doesNotHaveDuplicates();
    }

    @Test
    void roleAssignmentNameIsTheSameForTheSameGrant() {
        assertThat(ResourceNames.roleAssignment(SCOPE, "principal-1", ROLE)).isEqualTo(ResourceNames.roleAssignment(SCOPE, "principal-1", ROLE))
                .as("ARM ids are case-insensitive").isEqualTo(ResourceNames.roleAssignment(SCOPE.toUpperCase(), "PRINCIPAL-1", ROLE))
                .matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
    }

    @Test
    void roleAssignmentNameDiffersAcrossSubscriptionsIdentitiesScopesAndRoles() {
        String otherSubscriptionScope = SCOPE.replace(SUBSCRIPTION, "99999999-2222-3333-4444-555555555555");

        assertThat(List.of(ResourceNames.roleAssignment(SCOPE, "principal-1", ROLE),
                ResourceNames.roleAssignment(otherSubscriptionScope, "principal-1", ROLE),
                ResourceNames.roleAssignment(SCOPE, "principal-2", ROLE),
                ResourceNames.roleAssignment(SCOPE + "x", "principal-1", ROLE),
                ResourceNames.roleAssignment(SCOPE, "principal-1", ROLE.replace("5e0bd9bd", "7f951dda"))))
                .doesNotHaveDuplicates();
    }
}
