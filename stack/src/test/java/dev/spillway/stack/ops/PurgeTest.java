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

    private AzureInventory.DeletedAccount deleted(ResourceNames stack, String subscription, String location) {
        return new AzureInventory.DeletedAccount(stack.openAiAccount(subscription, location), location, "rg-spillway-" + stack.stack());
    }

    @Test
    void onlyThisStacksDeletedAccountsArePurged() {
        AzureInventory.DeletedAccount mine = deleted(names, SUBSCRIPTION, "eastus");
        AzureInventory.DeletedAccount otherStack = deleted(new ResourceNames("prod"), SUBSCRIPTION, "eastus");
        AzureInventory.DeletedAccount someoneElses = new AzureInventory.DeletedAccount("their-openai", "eastus", "rg-theirs");
        azure.deleted.addAll(List.of(mine, otherStack, someoneElses));
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        int purged = purge.purge(azure, purge.mine(azure, names, SUBSCRIPTION), new PrintStream(out));

        assertThat(purged).isEqualTo(1);
        assertThat(azure.purged).containsExactly(mine);
        assertThat(out.toString()).contains("Purging " + mine.name()).contains("1 soft-deleted account(s) purged.");
    }

    @Test
    void accountOfARegionSinceRemovedFromTheConfigIsPurgedToo() {
        AzureInventory.DeletedAccount removedRegion = deleted(names, SUBSCRIPTION, "swedencentral");
        azure.deleted.add(removedRegion);

        assertThat(purge.mine(azure, names, SUBSCRIPTION)).containsExactly(removedRegion);
    }

    @Test
    void stackWhoseNameExtendsThisOnesIsLeftAlone() {
        azure.deleted.add(deleted(new ResourceNames("dev-2"), SUBSCRIPTION, "eastus"));

        assertThat(purge.mine(azure, names, SUBSCRIPTION)).isEmpty();
    }

    @Test
    void sameStackInAnotherSubscriptionIsLeftAlone() {
        azure.deleted.add(deleted(names, "99999999-2222-3333-4444-555555555555", "eastus"));

        assertThat(purge.mine(azure, names, SUBSCRIPTION)).isEmpty();
    }

    @Test
    void displayNameLocationsAreRecognised() {
        AzureInventory.DeletedAccount mine = new AzureInventory.DeletedAccount(names.openAiAccount(SUBSCRIPTION, "eastus2"), "East US 2", "rg");
        azure.deleted.add(mine);

        assertThat(purge.mine(azure, names, SUBSCRIPTION)).containsExactly(mine);
    }

    @Test
    void nothingDeletedPurgesNothing() {
        assertThat(purge.purge(azure, purge.mine(azure, names, SUBSCRIPTION), new PrintStream(new ByteArrayOutputStream()))).isZero();
    }
}
