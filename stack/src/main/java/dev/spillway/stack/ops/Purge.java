package dev.spillway.stack.ops;

import dev.spillway.stack.ResourceNames;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Purges this stack's soft-deleted Azure OpenAI accounts. A deleted account keeps its name, and
 * can keep its quota, for 48 hours; the reference tells users {@code azd down --purge} for this.
 * Only accounts whose names this stack would create in this subscription are touched.
 */
public final class Purge {

    /** The deleted accounts that belong to this stack. */
    public List<AzureInventory.DeletedAccount> mine(AzureInventory azure, ResourceNames names, String subscriptionId,
                                                    List<String> locations) {
        Set<String> expected = new HashSet<>();
        for (String location : locations) {
            expected.add(names.openAiAccount(subscriptionId, location));
        }
        return azure.deletedAccounts().stream().filter(account -> expected.contains(account.name())).toList();
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
}
