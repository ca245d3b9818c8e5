package dev.spillway.stack.ops;

import java.util.List;
import java.util.Set;

/** What the preflight and purge scripts ask of Azure's management API, and nothing more. */
public interface AzureInventory {

    /** A model the Azure OpenAI service offers in a region, with the deployment types (SKUs) it can have there. */
    record OfferedModel(String format, String name, String version, Set<String> skus) {}

    /**
     * Quota of one kind in a region, in deployment capacity units (thousands of TPM).
     *
     * @param name such as {@code OpenAI.GlobalStandard.gpt-4o-mini}
     */
    record QuotaUsage(String name, double current, double limit) {
        public double free() {
            return Math.max(0, limit - current);
        }
    }

    /** A soft-deleted Cognitive Services account, which holds its name (and quota) for 48 hours. */
    record DeletedAccount(String name, String location, String resourceGroup) {}

    /** Resource providers registered for the subscription, such as {@code Microsoft.CognitiveServices}. */
    Set<String> registeredProviders();

    List<OfferedModel> models(String location);

    List<QuotaUsage> usages(String location);

    List<DeletedAccount> deletedAccounts();

    void purge(DeletedAccount account);
}
