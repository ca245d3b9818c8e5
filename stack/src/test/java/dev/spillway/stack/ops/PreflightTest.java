package dev.spillway.stack.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.stack.ResourceNames;
import dev.spillway.stack.StackConfig;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PreflightTest {

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private static final String SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
    private final Preflight preflight = new Preflight(Clock.fixed(NOW, ZoneOffset.UTC));
    private final ResourceNames names = new ResourceNames("dev");
    private final FakeAzure azure = new FakeAzure().region("eastus", 300).region("northcentralus", 300).region("eastus2", 300);

    private static StackConfig config(String... pairs) {
        Map<String, String> values = new java.util.HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            values.put(pairs[i], pairs[i + 1]);
        }
        return StackConfig.read(key -> Optional.ofNullable(values.get(key)), key -> true);
    }

    private Preflight.Report check(StackConfig config) {
        return preflight.check(config, azure, names, SUBSCRIPTION);
    }

    /** A chat model as the models list returns one, offered as GlobalStandard. */
    private static AzureInventory.OfferedModel chatModel(String name, String version, Instant deprecated, Instant retires) {
        return new AzureInventory.OfferedModel("OpenAI", name, version, Set.of("GlobalStandard"),
                deprecated == null ? Map.of() : Map.of("GlobalStandard", deprecated), Optional.ofNullable(retires),
                Set.of("chatCompletion"));
    }

    @Test
    void everythingInPlaceIsAGo() {
        Preflight.Report report = check(config("openaiCapacity", "50"));

        assertThat(report.ok()).isTrue();
        assertThat(preflight.render(config("openaiCapacity", "50"), report)).contains("Verdict: go").contains("eastus2");
    }

    @Test
    void unregisteredProviderIsReportedWithTheCommandToFixIt() {
        azure.providers.remove("Microsoft.App");

        assertThat(check(config()).problems())
                .containsExactly("Resource provider Microsoft.App is not registered: az provider register --namespace Microsoft.App");
    }

    @Test
    void modelNotOfferedInARegionIsReported() {
        azure.models.get("northcentralus").removeIf(model -> model.name().equals("gpt-5.4-mini"));

        Preflight.Report report = check(config());

        assertThat(report.problems()).singleElement().asString()
                .startsWith("northcentralus: gpt-5.4-mini 2026-03-17 (GlobalStandard) is not offered");
        assertThat(report.rows().get(1).chatOffered()).isFalse();
    }

    @Test
    void skuNotOfferedCountsAsNotOffered() {
        assertThat(check(config("chatSku", "ProvisionedManaged")).problems()).hasSize(3);
    }

    @Test
    void versionThatTakesNoNewDeploymentsIsRefusedWithTheDateAndNewerOfferedVersions() {
        for (String region : List.of("eastus", "northcentralus", "eastus2")) {
            azure.offers(region, chatModel("gpt-4o-mini", "2024-07-18", Instant.parse("2025-07-18T00:00:00Z"), Instant.parse("2026-10-01T00:00:00Z")));
            azure.offers(region, chatModel("gpt-5.6-luna", "2026-07-09", null, Instant.parse("2028-01-11T00:00:00Z")));
        }

        Preflight.Report report = check(config("chatModel", "gpt-4o-mini", "chatModelVersion", "2024-07-18"));

        assertThat(report.ok()).isFalse();
        assertThat(report.problems()).hasSize(3).first().asString()
                .startsWith("eastus: gpt-4o-mini 2024-07-18 (GlobalStandard) takes no new deployments since 2025-07-18")
                .contains("newest offered instead: gpt-5.6-luna 2026-07-09, gpt-5.4-mini 2026-03-17")
                .contains("set chatModel / chatModelVersion");
    }

    @Test
    void versionRetiringWithinNinetyDaysIsRefused() {
        azure.offers("eastus", chatModel("gpt-5.1", "2025-11-13", null, NOW.plus(java.time.Duration.ofDays(30))));

        Preflight.Report report = check(config("chatModel", "gpt-5.1", "chatModelVersion", "2025-11-13",
                "openaiLocations", "[\"eastus\"]"));

        assertThat(report.problems()).singleElement().asString()
                .startsWith("eastus: gpt-5.1 2025-11-13 (GlobalStandard) retires on 2026-12-31, in 30 days")
                .contains("gpt-5.4-mini 2026-03-17");
    }

    @Test
    void versionRetiringLaterIsAGo() {
        azure.offers("eastus", chatModel("gpt-5.1", "2025-11-13", null, NOW.plus(java.time.Duration.ofDays(120))));

        assertThat(check(config("chatModel", "gpt-5.1", "chatModelVersion", "2025-11-13", "openaiLocations", "[\"eastus\"]")).ok())
                .isTrue();
    }

    @Test
    void softDeletedAccountHoldingANameThisStackCreatesBlocks() {
        String held = names.openAiAccount(SUBSCRIPTION, "eastus2");
        azure.deleted.add(new AzureInventory.DeletedAccount(held, "eastus2", "rg-spillway-dev"));

        Preflight.Report report = check(config());

        assertThat(report.problems()).singleElement().asString()
                .startsWith("Soft-deleted account " + held + " (eastus2) still holds the name").contains("scripts/purge");
    }

    @Test
    void softDeletedAccountOfARemovedRegionIsANoteNotABlock() {
        azure.deleted.add(new AzureInventory.DeletedAccount(names.openAiAccount(SUBSCRIPTION, "swedencentral"), "swedencentral", "rg"));

        Preflight.Report report = check(config());

        assertThat(report.ok()).isTrue();
        assertThat(report.warnings()).singleElement().asString().contains("may still hold quota");
    }

    @Test
    void quotaShortOfTheCapacitySaysHowFarToLowerIt() {
        azure.region("eastus2", 20);

        Preflight.Report report = check(config("openaiCapacity", "30"));

        assertThat(report.problems()).anySatisfy(problem -> assertThat(problem)
                .startsWith("eastus2: only 20K TPM free for OpenAI.GlobalStandard.gpt-5.4-mini, openaiCapacity asks 30K; lower openaiCapacity to 20"));
        assertThat(preflight.render(config("openaiCapacity", "30"), report)).contains("Verdict: change before `pulumi up`");
    }

    @Test
    void unknownQuotaIsShownButDoesNotBlock() {
        azure.usages.put("eastus", List.of());

        Preflight.Report report = check(config());

        assertThat(report.ok()).isTrue();
        assertThat(preflight.render(config(), report)).contains("unknown");
    }
}
