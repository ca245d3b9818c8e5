package dev.spillway.stack.ops;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** What the preflight and purge scripts ask of Azure's management API, and nothing more. */
public interface AzureInventory {

    /**
     * A model the Azure OpenAI service offers in a region, as the models list returns it.
     *
     * @param skus            the deployment types (SKUs) it can have there
     * @param skuDeprecations per SKU, when it stops taking new deployments ({@code ModelSku.deprecationDate})
     * @param retirement      when deployments of it stop answering ({@code deprecation.inference})
     * @param capabilities    such as {@code chatCompletion} or {@code embeddings}, those marked true
     */
    record OfferedModel(String format, String name, String version, Set<String> skus, Map<String, Instant> skuDeprecations,
                        Optional<Instant> retirement, Set<String> capabilities) {

        /** A model with no deprecation dates and no capabilities listed. */
        public OfferedModel(String format, String name, String version, Set<String> skus) {
            this(format, name, version, skus, Map.of(), Optional.empty(), Set.of());
        }

        public boolean offers(String sku) {
            return skus.stream().anyMatch(offered -> offered.equalsIgnoreCase(sku));
        }

        /** When this model stops taking new deployments of {@code sku}, if Azure has said. */
        public Optional<Instant> deprecation(String sku) {
            return skuDeprecations.entrySet().stream().filter(entry -> entry.getKey().equalsIgnoreCase(sku))
                    .map(Map.Entry::getValue).findFirst();
        }
    }

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
