package dev.spillway.stack.ops;

import com.azure.identity.DefaultAzureCredentialBuilder;
import dev.spillway.stack.ResourceNames;
import dev.spillway.stack.StackConfig;
import dev.spillway.stack.StackConfigException;
import dev.spillway.stack.plan.OfflinePlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code scripts/preflight} and {@code scripts/purge}: the two chores around {@code pulumi up}
 * and {@code pulumi destroy}. Signs in the way the Azure CLI does (DefaultAzureCredential).
 */
public final class OpsMain {

    private OpsMain() {}

    public static void main(String[] args) throws IOException {
        if (args.length == 0 || !(args[0].equals("preflight") || args[0].equals("purge"))) {
            System.err.println("usage: OpsMain preflight|purge [--stack dev] [--subscription ID]");
            System.exit(2);
        }
        String stack = "dev";
        Optional<String> flag = Optional.empty();
        for (int i = 1; i < args.length - 1; i++) {
            if (args[i].equals("--stack")) {
                stack = args[++i];
            } else if (args[i].equals("--subscription")) {
                flag = Optional.of(args[++i]);
            }
        }
        Path file = Path.of("Pulumi." + stack + ".yaml");
        Map<String, String> values = Files.exists(file) ? OfflinePlan.readStackConfig(file) : Map.of();
        StackConfig config;
        try {
            config = StackConfig.read(key -> Optional.ofNullable(values.get(key)), key -> OfflinePlan.ENCRYPTED.equals(values.get(key)));
        } catch (StackConfigException e) {
            System.err.println(args[0] + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        Optional<Subscription> subscription = Subscription.resolve(flag, stack, values, System.getenv(), OpsMain::azCliSubscription);
        if (subscription.isEmpty()) {
            System.err.println(args[0] + ": no subscription: set azure-native:subscriptionId on the stack, ARM_SUBSCRIPTION_ID, "
                    + "pass --subscription, or sign in with `az login`");
            System.exit(2);
            return;
        }
        System.out.printf("Subscription %s (from %s)%n", subscription.get().id(), subscription.get().source());
        AzureInventory azure = new ArmInventory(new DefaultAzureCredentialBuilder().build(), subscription.get().id());
        ResourceNames names = new ResourceNames(stack);
        if (args[0].equals("preflight")) {
            Preflight preflight = new Preflight(Clock.systemUTC());
            Preflight.Report report = preflight.check(config, azure, names, subscription.get().id());
            System.out.print(preflight.render(config, report));
            System.exit(report.ok() ? 0 : 1);
        } else {
            Purge purge = new Purge();
            List<AzureInventory.DeletedAccount> mine = purge.mine(azure, names, subscription.get().id());
            purge.purge(azure, mine, System.out);
        }
    }

    private static Optional<String> azCliSubscription() {
        try {
            Process az = new ProcessBuilder("az", "account", "show", "--query", "id", "-o", "tsv").redirectErrorStream(false).start();
            String id = new String(az.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return az.waitFor() == 0 && !id.isEmpty() ? Optional.of(id) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
