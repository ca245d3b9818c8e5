package dev.spillway.stack.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The scripts must act on the subscription azure-native deploys to. azure-native reads its
 * {@code subscriptionId} setting, then ARM_SUBSCRIPTION_ID, then the Azure CLI's default
 * (pulumi-azure-native's provider configuration reference, "subscriptionId").
 */
class SubscriptionTest {

    private static final Map<String, String> STACK = Map.of("azure-native:subscriptionId", "from-stack");
    private static final Map<String, String> ENV = Map.of("ARM_SUBSCRIPTION_ID", "from-env");

    @Test
    void flagWinsOverEverything() {
        assertThat(Subscription.resolve(Optional.of("from-flag"), "dev", STACK, ENV, () -> Optional.of("from-cli")))
                .contains(new Subscription("from-flag", "--subscription"));
    }

    @Test
    void providerSettingInTheStackFileComesBeforeTheEnvironment() {
        assertThat(Subscription.resolve(Optional.empty(), "dev", STACK, ENV, () -> Optional.of("from-cli")))
                .contains(new Subscription("from-stack", "azure-native:subscriptionId in Pulumi.dev.yaml"));
    }

    @Test
    void armSubscriptionIdComesBeforeTheCli() {
        assertThat(Subscription.resolve(Optional.empty(), "dev", Map.of(), ENV, () -> Optional.of("from-cli")))
                .contains(new Subscription("from-env", "ARM_SUBSCRIPTION_ID"));
    }

    @Test
    void cliDefaultIsTheLastResort() {
        assertThat(Subscription.resolve(Optional.empty(), "dev", Map.of(), Map.of("AZURE_SUBSCRIPTION_ID", "not-read-by-azure-native"),
                () -> Optional.of("from-cli"))).map(Subscription::id).contains("from-cli");
    }

    @Test
    void nothingAnywhereIsEmpty() {
        assertThat(Subscription.resolve(Optional.empty(), "dev", Map.of(), Map.of(), Optional::empty)).isEmpty();
    }
}
