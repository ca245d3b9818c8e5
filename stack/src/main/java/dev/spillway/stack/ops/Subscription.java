package dev.spillway.stack.ops;

import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The subscription the scripts work on, found where azure-native finds the one it deploys to, in
 * the same order (the provider's {@code subscriptionId} setting, then {@code ARM_SUBSCRIPTION_ID},
 * then the Azure CLI's default): purging or checking any other subscription would silently find
 * nothing. An explicit {@code --subscription} wins over all of them.
 *
 * @param source where the id came from, said to the user so a surprise is visible
 */
public record Subscription(String id, String source) {

    static final String PROVIDER_KEY = "azure-native:subscriptionId";

    /**
     * @param flag        the {@code --subscription} argument
     * @param stackConfig the stack file's config (keys as written, e.g. {@code azure-native:subscriptionId})
     * @param azCli       the Azure CLI's default subscription, asked only when nothing else names one
     */
    public static Optional<Subscription> resolve(Optional<String> flag, String stack, Map<String, String> stackConfig,
                                                 Map<String, String> environment, Supplier<Optional<String>> azCli) {
        if (flag.filter(id -> !id.isBlank()).isPresent()) {
            return Optional.of(new Subscription(flag.get().trim(), "--subscription"));
        }
        String configured = stackConfig.get(PROVIDER_KEY);
        if (configured != null && !configured.isBlank()) {
            return Optional.of(new Subscription(configured.trim(), PROVIDER_KEY + " in Pulumi." + stack + ".yaml"));
        }
        String fromEnvironment = environment.get("ARM_SUBSCRIPTION_ID");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return Optional.of(new Subscription(fromEnvironment.trim(), "ARM_SUBSCRIPTION_ID"));
        }
        return azCli.get().filter(id -> !id.isBlank()).map(id -> new Subscription(id.trim(), "the Azure CLI's default (az account show)"));
    }
}
