package dev.spillway.stack.ops;

import dev.spillway.stack.ResourceNames;
import java.util.List;
import java.util.Locale;

/**
 * Purges this stack's soft-deleted Azure OpenAI accounts. A deleted account keeps its name, and
 * can keep its quota, for 48 hours; the reference tells users {@code azd down --purge} for this.
 * Only accounts whose names this stack creates in this subscription are touched.
 */
public final class Purge {

    /**
     * The deleted accounts that belong to this stack, in any region: also those of regions since
     * removed from openaiLocations, which no longer block a name but can still hold quota. An account
     * is this stack's when its name is exactly the one the stack gives an account in its region
     * (a prefix would also match a stack whose name extends this one's, such as dev and dev-2).
     */
    public List<AzureInventory.DeletedAccount> mine(AzureInventory azure, ResourceNames names, String subscriptionId) {
        return azure.deletedAccounts().stream()
                .filter(account -> account.location() != null
                        && account.name().equals(names.openAiAccount(subscriptionId, region(account.location()))))
                .toList();
    }

    /** Purges each, reporting as it goes; returns how many were purged. */
    public int purge(AzureInventory azure, List<AzureInventory.DeletedAccount> accounts, java.io.PrintStream out) {
        int purged = 0;
        for (AzureInventory.DeletedAccount account : accounts) {
            out.printf("Purging %s (%s, resource group %s)...%n", account.name(), account.location(), account.resourceGroup());
            azure.purge(account);
            purged++;
        }
        out.printf("%d soft-deleted account(s) purged.%n", purged);
        return purged;
    }

    /** ARM reports a location as a name ({@code eastus2}) or a display name ({@code East US 2}). */
    static String region(String location) {
        return location.toLowerCase(Locale.ROOT).replace(" ", "");
    }
}
