package dev.spillway.stack.ops;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** An in-memory subscription: what the management API would answer, set up per test. */
final class FakeAzure implements AzureInventory {

    final Set<String> providers = new HashSet<>(Preflight.PROVIDERS);
    final Map<String, List<OfferedModel>> models = new HashMap<>();
    final Map<String, List<QuotaUsage>> usages = new HashMap<>();
    final List<DeletedAccount> deleted = new ArrayList<>();
    final List<DeletedAccount> purged = new ArrayList<>();

    /** Offers the stack's default models everywhere asked, with this much free quota. */
    FakeAzure region(String location, double freeThousands) {
        models.put(location, new ArrayList<>(List.of(
                new OfferedModel("OpenAI", "gpt-5.4-mini", "2026-03-17", Set.of("Standard", "GlobalStandard"), Map.of(),
                        Optional.of(Instant.parse("2027-09-21T00:00:00Z")), Set.of("chatCompletion", "responses")),
                new OfferedModel("OpenAI", "text-embedding-3-small", "1", Set.of("Standard", "GlobalStandard"), Map.of(),
                        Optional.of(Instant.parse("2028-02-09T00:00:00Z")), Set.of("embeddings")))));
        usages.put(location, new ArrayList<>(List.of(
                new QuotaUsage("OpenAI.GlobalStandard.gpt-5.4-mini", 1000 - freeThousands, 1000),
                new QuotaUsage("OpenAI.GlobalStandard.text-embedding-3-small", 1000 - freeThousands, 1000))));
        return this;
    }

    /** Adds a model to a region's list, as the models API would return it. */
    FakeAzure offers(String location, OfferedModel model) {
        models.computeIfAbsent(location, ignored -> new ArrayList<>()).add(model);
        return this;
    }

    @Override
    public Set<String> registeredProviders() {
        return providers;
    }

    @Override
    public List<OfferedModel> models(String location) {
        return models.getOrDefault(location, List.of());
    }

    @Override
    public List<QuotaUsage> usages(String location) {
        return usages.getOrDefault(location, List.of());
    }

    @Override
    public List<DeletedAccount> deletedAccounts() {
        return deleted;
    }

    @Override
    public void purge(DeletedAccount account) {
        purged.add(account);
    }
}
