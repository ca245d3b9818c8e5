package dev.spillway.stack.ops;

import dev.spillway.stack.ResourceNames;
import dev.spillway.stack.StackConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks, before {@code pulumi up}, what most often makes it fail half-way or soon after: an
 * unregistered resource provider, a model or deployment type not offered in a region, a model
 * version that no longer takes new deployments or retires soon, quota that does not cover the
 * requested capacity (quota is per subscription, region, model and deployment type), and
 * soft-deleted accounts that still hold this stack's names.
 */
public final class Preflight {

    static final List<String> PROVIDERS = List.of("Microsoft.CognitiveServices", "Microsoft.App", "Microsoft.ContainerRegistry",
            "Microsoft.OperationalInsights", "Microsoft.ManagedIdentity");
    /** A deployment must outlive the first weeks of use; Azure gives at least 60 days' notice before a GA retirement. */
    static final Duration RETIREMENT_MARGIN = Duration.ofDays(90);

    /** One region's findings; {@code chatFree} and {@code embeddingFree} in thousands of TPM, -1 if unknown. */
    public record Row(String location, boolean chatOffered, boolean embeddingOffered, double chatFree, double embeddingFree) {}

    /**
     * @param problems what to change before {@code pulumi up}, one line each; empty means go
     * @param warnings worth knowing, not blocking
     */
    public record Report(List<Row> rows, List<String> problems, List<String> warnings) {

        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private final Clock clock;

    public Preflight(Clock clock) {
        this.clock = clock;
    }

    public Report check(StackConfig config, AzureInventory azure, ResourceNames names, String subscriptionId) {
        List<String> problems = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
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
            Optional<AzureInventory.OfferedModel> chatModel = offered(models, config.chat());
            Optional<AzureInventory.OfferedModel> embeddingModel = offered(models, config.embedding());
            boolean chat = chatModel.isPresent();
            boolean embedding = embeddingModel.isPresent();
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
            chatModel.ifPresent(model -> lifecycle(location, models, model, config.chat(), "chatModel / chatModelVersion", problems, warnings));
            embeddingModel.ifPresent(model -> lifecycle(location, models, model, config.embedding(),
                    "embeddingModel / embeddingModelVersion", problems, warnings));
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
        softDeleted(config, azure, names, subscriptionId, problems, warnings);
        return new Report(rows, problems, warnings);
    }

    /** A version that takes no new deployments fails `pulumi up`; one that retires soon fails every call after that date. */
    private void lifecycle(String location, List<AzureInventory.OfferedModel> models, AzureInventory.OfferedModel model,
                           StackConfig.Model wanted, String keys, List<String> problems, List<String> warnings) {
        Instant now = clock.instant();
        Optional<Instant> deprecated = model.deprecation(wanted.sku());
        Optional<Instant> retires = model.retirement();
        String change = "; newest offered instead: " + alternatives(models, model, wanted.sku()) + " (set " + keys + ")";
        if (deprecated.isPresent() && !deprecated.get().isAfter(now)) {
            problems.add(location + ": " + describe(wanted) + " takes no new deployments since " + date(deprecated.get()) + change);
        } else if (retires.isPresent() && retires.get().isBefore(now.plus(RETIREMENT_MARGIN))) {
            problems.add(location + ": " + describe(wanted) + " retires on " + date(retires.get()) + ", in "
                    + Duration.between(now, retires.get()).toDays() + " days" + change);
        } else if (deprecated.isPresent() && deprecated.get().isBefore(now.plus(RETIREMENT_MARGIN))) {
            warnings.add(location + ": " + describe(wanted) + " takes no new deployments from " + date(deprecated.get())
                    + "; existing deployments keep working until it retires");
        }
    }

    /** Up to three offered versions that do the same job (same capabilities, else same model) and are not going away. */
    private String alternatives(List<AzureInventory.OfferedModel> models, AzureInventory.OfferedModel current, String sku) {
        Instant horizon = clock.instant().plus(RETIREMENT_MARGIN);
        List<String> names = models.stream()
                .filter(model -> model.format().equals(current.format()) && model.offers(sku))
                .filter(model -> current.capabilities().isEmpty() ? model.name().equals(current.name())
                        : model.capabilities().containsAll(current.capabilities()))
                .filter(model -> model.deprecation(sku).map(date -> date.isAfter(clock.instant())).orElse(true))
                .filter(model -> model.retirement().map(date -> date.isAfter(horizon)).orElse(true))
                .filter(model -> !(model.name().equals(current.name()) && model.version().equals(current.version())))
                .sorted(Comparator.comparing(AzureInventory.OfferedModel::version).reversed()
                        .thenComparing(AzureInventory.OfferedModel::name))
                .map(model -> model.name() + " " + model.version())
                .distinct()
                .limit(3)
                .toList();
        return names.isEmpty() ? "none in " + sku + " here" : String.join(", ", names);
    }

    private static void softDeleted(StackConfig config, AzureInventory azure, ResourceNames names, String subscriptionId,
                                    List<String> problems, List<String> warnings) {
        Set<String> wanted = config.openaiLocations().stream().map(location -> names.openAiAccount(subscriptionId, location))
                .collect(Collectors.toSet());
        for (AzureInventory.DeletedAccount account : new Purge().mine(azure, names, subscriptionId)) {
            if (wanted.contains(account.name())) {
                problems.add("Soft-deleted account " + account.name() + " (" + account.location() + ") still holds the name this stack "
                        + "creates there; run scripts/purge (or wait up to 48 h)");
            } else {
                warnings.add("Soft-deleted account " + account.name() + " (" + account.location() + ") of this stack may still hold "
                        + "quota; scripts/purge frees it");
            }
        }
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
        report.warnings().forEach(warning -> text.append("Note: ").append(warning).append(System.lineSeparator()));
        if (report.ok()) {
            text.append("Verdict: go. Every region offers both models and has quota for openaiCapacity=")
                    .append(config.openaiCapacity()).append("K TPM per deployment.").append(System.lineSeparator());
        } else {
            text.append("Verdict: change before `pulumi up`:").append(System.lineSeparator());
            report.problems().forEach(problem -> text.append("  - ").append(problem).append(System.lineSeparator()));
        }
        return text.toString();
    }

    private static Optional<AzureInventory.OfferedModel> offered(List<AzureInventory.OfferedModel> models, StackConfig.Model wanted) {
        return models.stream().filter(model -> model.name().equals(wanted.name()) && model.version().equals(wanted.version())
                && model.offers(wanted.sku())).findFirst();
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

    private static String date(Instant instant) {
        return LocalDate.ofInstant(instant, ZoneOffset.UTC).toString();
    }

    private static String tpm(double free) {
        return free < 0 ? "unknown" : (int) free + "K";
    }
}
