package dev.spillway.stack.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.stack.ResourceNames;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class PurgeTest {

    private static final String SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
    private final ResourceNames names = new ResourceNames("dev");
    private final FakeAzure azure = new FakeAzure();
    private final Purge purge = new Purge();

    @Test
    void onlyThisStacksDeletedAccountsArePurged() {
        AzureInventory.DeletedAccount mine = new AzureInventory.DeletedAccount(names.openAiAccount(SUBSCRIPTION, "eastus"), "eastus", "rg-spillway-dev");
        AzureInventory.DeletedAccount otherStack = new AzureInventory.DeletedAccount(
                new ResourceNames("prod").openAiAccount(SUBSCRIPTION, "eastus"), "eastus", "rg-spillway-prod");
        AzureInventory.DeletedAccount someoneElses = new AzureInventory.DeletedAccount("their-openai", "eastus", "rg-theirs");
        azure.deleted.addAll(List.of(mine, otherStack, someoneElses));
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        int purged = purge.purge(azure, purge.mine(azure, names, SUBSCRIPTION, List.of("eastus", "eastus2")), new PrintStream(out));

        assertThat(purged).isEqualTo(1);
        assertThat(azure.purged).containsExactly(mine);
        assertThat(out.toString()).contains("Purging " + mine.name()).contains("1 soft-deleted account(s) purged.");
    }

    @Test
    void nothingDeletedPurgesNothing() {
        assertThat(purge.purge(azure, purge.mine(azure, names, SUBSCRIPTION, List.of("eastus")), new PrintStream(new ByteArrayOutputStream())))
                .isZero();
    }
}
