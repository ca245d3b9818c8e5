package dev.spillway.stack.ops;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.management.AzureEnvironment;
import com.azure.core.management.profile.AzureProfile;
import com.azure.resourcemanager.cognitiveservices.CognitiveServicesManager;
import com.azure.resourcemanager.cognitiveservices.models.Account;
import com.azure.resourcemanager.cognitiveservices.models.AccountModel;
import com.azure.resourcemanager.cognitiveservices.models.ModelDeprecationInfo;
import com.azure.resourcemanager.cognitiveservices.models.ModelSku;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** {@link AzureInventory} over the Azure management API, with the Azure SDK. */
public final class ArmInventory implements AzureInventory {

    private final CognitiveServicesManager cognitive;
    private final String subscriptionId;
    private final String managementEndpoint;

    public ArmInventory(TokenCredential credential, String subscriptionId) {
        AzureProfile profile = new AzureProfile(null, subscriptionId, AzureEnvironment.AZURE);
        this.cognitive = CognitiveServicesManager.authenticate(credential, profile);
        this.subscriptionId = subscriptionId;
        this.managementEndpoint = profile.getEnvironment().getResourceManagerEndpoint();
    }

    @Override
    public Set<String> registeredProviders() {
        // One plain ARM call on the SDK's authenticated pipeline; no extra library for a single list.
        String url = managementEndpoint + "subscriptions/" + subscriptionId + "/providers?api-version=2021-04-01&$select=namespace,registrationState";
        try (HttpResponse response = cognitive.serviceClient().getHttpPipeline().sendSync(new HttpRequest(HttpMethod.GET, url),
                com.azure.core.util.Context.NONE)) {
            if (response.getStatusCode() != 200) {
                throw new IllegalStateException("listing resource providers failed with HTTP " + response.getStatusCode());
            }
            JsonNode root = new ObjectMapper().readTree(response.getBodyAsBinaryData().toBytes());
            Set<String> registered = new HashSet<>();
            for (JsonNode provider : root.path("value")) {
                if ("Registered".equalsIgnoreCase(provider.path("registrationState").asText())) {
                    registered.add(provider.path("namespace").asText());
                }
            }
            return registered;
        } catch (IOException e) {
            throw new IllegalStateException("could not read the resource provider list", e);
        }
    }

    @Override
    public List<OfferedModel> models(String location) {
        return cognitive.models().list(location).stream()
                .filter(model -> model.model() != null)
                .map(model -> offered(model.model()))
                .toList();
    }

    private static OfferedModel offered(AccountModel model) {
        List<ModelSku> skus = model.skus() == null ? List.of() : model.skus();
        Map<String, Instant> deprecations = new HashMap<>();
        skus.stream().filter(sku -> sku.name() != null && sku.deprecationDate() != null)
                .forEach(sku -> deprecations.put(sku.name(), sku.deprecationDate().toInstant()));
        Optional<Instant> retirement = Optional.ofNullable(model.deprecation()).map(ModelDeprecationInfo::inference)
                .flatMap(ArmInventory::instant);
        Set<String> capabilities = model.capabilities() == null ? Set.of() : model.capabilities().entrySet().stream()
                .filter(entry -> "true".equalsIgnoreCase(entry.getValue())).map(Map.Entry::getKey).collect(Collectors.toSet());
        return new OfferedModel(model.format(), model.name(), model.version(),
                skus.stream().map(ModelSku::name).filter(java.util.Objects::nonNull).collect(Collectors.toSet()),
                deprecations, retirement, capabilities);
    }

    /** The service writes dates as ISO instants ({@code 2026-10-01T00:00:00Z}) or plain dates. */
    static Optional<Instant> instant(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(text).toInstant());
        } catch (DateTimeParseException notAnInstant) {
            try {
                return Optional.of(LocalDate.parse(text.substring(0, Math.min(10, text.length()))).atStartOfDay(ZoneOffset.UTC).toInstant());
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }

    @Override
    public List<QuotaUsage> usages(String location) {
        return cognitive.usages().list(location).stream()
                .filter(usage -> usage.name() != null && usage.name().value() != null)
                .map(usage -> new QuotaUsage(usage.name().value(), value(usage.currentValue()), value(usage.limit())))
                .toList();
    }

    @Override
    public List<DeletedAccount> deletedAccounts() {
        return cognitive.deletedAccounts().list().stream().map(ArmInventory::deleted).toList();
    }

    @Override
    public void purge(DeletedAccount account) {
        cognitive.deletedAccounts().purge(account.location(), account.resourceGroup(), account.name());
    }

    private static DeletedAccount deleted(Account account) {
        String id = account.id();
        int at = id.indexOf("/resourceGroups/");
        String group = at < 0 ? "" : id.substring(at + 16, id.indexOf('/', at + 16));
        return new DeletedAccount(account.name(), account.regionName(), group);
    }

    private static double value(Double number) {
        return number == null ? 0 : number;
    }
}
