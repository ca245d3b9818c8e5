package dev.spillway.stack.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.stack.StackConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PreflightTest {

    private final Preflight preflight = new Preflight();
    private final FakeAzure azure = new FakeAzure().region("eastus", 300).region("northcentralus", 300).region("eastus2", 300);

    private static StackConfig config(String... pairs) {
        Map<String, String> values = new java.util.HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            values.put(pairs[i], pairs[i + 1]);
        }
        return StackConfig.read(key -> Optional.ofNullable(values.get(key)));
    }

    @Test
    void everythingInPlaceIsAGo() {
        Preflight.Report report = preflight.check(config("openaiCapacity", "50"), azure);

        assertThat(report.ok()).isTrue();
        assertThat(preflight.render(config("openaiCapacity", "50"), report)).contains("Verdict: go").contains("eastus2");
    }

    @Test
    void unregisteredProviderIsReportedWithTheCommandToFixIt() {
        azure.providers.remove("Microsoft.App");

        assertThat(preflight.check(config(), azure).problems())
                .containsExactly("Resource provider Microsoft.App is not registered: az provider register --namespace Microsoft.App");
    }

    @Test
    void modelNotOfferedInARegionIsReported() {
        azure.models.get("northcentralus").removeIf(model -> model.name().equals("gpt-4o-mini"));

        Preflight.Report report = preflight.check(config(), azure);

        assertThat(report.problems()).singleElement().asString()
                .startsWith("northcentralus: gpt-4o-mini 2024-07-18 (GlobalStandard) is not offered");
        assertThat(report.rows().get(1).chatOffered()).isFalse();
    }

    @Test
    void skuNotOfferedCountsAsNotOffered() {
        assertThat(preflight.check(config("chatSku", "ProvisionedManaged"), azure).problems()).hasSize(3);
    }

    @Test
    void quotaShortOfTheCapacitySaysHowFarToLowerIt() {
        azure.region("eastus2", 20);

        Preflight.Report report = preflight.check(config("openaiCapacity", "30"), azure);

        assertThat(report.problems()).anySatisfy(problem -> assertThat(problem)
                .startsWith("eastus2: only 20K TPM free for OpenAI.GlobalStandard.gpt-4o-mini, openaiCapacity asks 30K; lower openaiCapacity to 20"));
        assertThat(preflight.render(config("openaiCapacity", "30"), report)).contains("Verdict: change before `pulumi up`");
    }

    @Test
    void unknownQuotaIsShownButDoesNotBlock() {
        azure.usages.put("eastus", List.of());

        Preflight.Report report = preflight.check(config(), azure);

        assertThat(report.ok()).isTrue();
        assertThat(preflight.render(config(), report)).contains("unknown");
    }
}
