package dev.spillway.stack.ops;

import dev.spillway.stack.StackConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Checks, before {@code pulumi up}, what most often makes it fail half-way: an unregistered
 * resource provider, a model or deployment type not offered in a region, and quota that does not
 * cover the requested capacity (quota is per subscription, region, model and deployment type).
 */
public final class Preflight {

    static final List<String> PROVIDERS = List.of("Microsoft.CognitiveServices", "Microsoft.App", "Microsoft.ContainerRegistry",
            "Microsoft.OperationalInsights", "Microsoft.ManagedIdentity");

    /** One region's findings; {@code chatFree} and {@code embeddingFree} in thousands of TPM, -1 if unknown. */
    public record Row(String location, boolean chatOffered, boolean embeddingOffered, double chatFree, double embeddingFree) {}

    /** @param problems what to change, one line each; empty means go */
    public record Report(List<Row> rows, List<String> problems) {

        public boolean ok() {
            return problems.isEmpty();
        }
    }

    public Report check(StackConfig config, AzureInventory azure) {
        List<String> problems = new ArrayList<>();
        Set<String> registered = azure.registeredProviders();
        for (String provider : PROVIDERS) {
            if (registered.stream().noneMatch(p -> p.equalsIgnoreCase(provider))) {
                problems.add("Resource provider " + provider + " is not registered: az provider register --namespace " + provider);
            }
        }
        List<Row> rows = new ArrayList<>();
        int capacity = config.openaiCapacity();
        // Both deployments of an account draw from the same quota when they use the same model and type.
        boolean sameQuota = config.chat().name().equals(config.embedding().name()) && config.chat().sku().equals(config.embedding().sku());
        for (String location : config.openaiLocations()) {
            List<AzureInventory.OfferedModel> models = azure.models(location);
            List<AzureInventory.QuotaUsage> usages = azure.usages(location);
            boolean chat = offered(models, config.chat());
            boolean embedding = offered(models, config.embedding());
            double chatFree = free(usages, config.chat());
            double embeddingFree = free(usages, config.embedding());
            rows.add(new Row(location, chat, embedding, chatFree, embeddingFree));
            if (!chat) {
                problems.add(location + ": " + describe(config.chat()) + " is not offered; pick another region in openaiLocations or "
                        + "another chatModel / chatModelVersion / chatSku");
            }
            if (!embedding) {
                problems.add(location + ": " + describe(config.embedding()) + " is not offered; pick another region or embedding model/SKU");
            }
            if (sameQuota && chatFree >= 0 && chatFree < 2.0 * capacity) {
                problems.add(location + ": " + (int) chatFree + "K TPM free for " + quotaName(config.chat()) + ", but both deployments need "
                        + capacity + "K; lower openaiCapacity to " + (int) (chatFree / 2) + " or request more quota");
            } else {
                if (chatFree >= 0 && chatFree < capacity) {
                    problems.add(location + ": only " + (int) chatFree + "K TPM free for " + quotaName(config.chat()) + ", openaiCapacity asks "
                            + capacity + "K; lower openaiCapacity to " + (int) chatFree + ", pick another region, or request more quota");
                }
                if (embeddingFree >= 0 && embeddingFree < capacity) {
                    problems.add(location + ": only " + (int) embeddingFree + "K TPM free for " + quotaName(config.embedding())
                            + ", openaiCapacity asks " + capacity + "K; lower openaiCapacity to " + (int) embeddingFree + " or pick another region");
                }
            }
        }
        return new Report(rows, problems);
    }

    /** The table and verdict the script prints. */
    public String render(StackConfig config, Report report) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "%-18s %-34s %-34s %12s %12s%n", "region", "chat: " + describe(config.chat()),
                "embedding: " + describe(config.embedding()), "chat free", "embed free"));
        for (Row row : report.rows()) {
            text.append(String.format(Locale.ROOT, "%-18s %-34s %-34s %12s %12s%n", row.location(), row.chatOffered() ? "offered" : "NOT OFFERED",
                    row.embeddingOffered() ? "offered" : "NOT OFFERED", tpm(row.chatFree()), tpm(row.embeddingFree())));
        }
        text.append(System.lineSeparator());
        if (report.ok()) {
            text.append("Verdict: go. Every region offers both models and has quota for openaiCapacity=")
                    .append(config.openaiCapacity()).append("K TPM per deployment.").append(System.lineSeparator());
        } else {
            text.append("Verdict: change before `pulumi up`:").append(System.lineSeparator());
            report.problems().forEach(problem -> text.append("  - ").append(problem).append(System.lineSeparator()));
        }
        return text.toString();
    }

    private static boolean offered(List<AzureInventory.OfferedModel> models, StackConfig.Model wanted) {
        return models.stream().anyMatch(model -> model.name().equals(wanted.name()) && model.version().equals(wanted.version())
                && model.skus().stream().anyMatch(sku -> sku.equalsIgnoreCase(wanted.sku())));
    }

    private static double free(List<AzureInventory.QuotaUsage> usages, StackConfig.Model model) {
        String name = quotaName(model);
        return usages.stream().filter(usage -> usage.name().equalsIgnoreCase(name)).mapToDouble(AzureInventory.QuotaUsage::free)
                .findFirst().orElse(-1);
    }

    static String quotaName(StackConfig.Model model) {
        return "OpenAI." + model.sku() + "." + model.name();
    }

    private static String describe(StackConfig.Model model) {
        return model.name() + " " + model.version() + " (" + model.sku() + ")";
    }

    private static String tpm(double free) {
        return free < 0 ? "unknown" : (int) free + "K";
    }
}
