package dev.spillway.proxy.server;

import dev.spillway.proxy.observe.ProxyMetrics;
import dev.spillway.proxy.observe.ProxyMetrics.HomeLookupResult;
import dev.spillway.proxy.route.ObjectAffinity;
import dev.spillway.proxy.route.ObjectRef;
import dev.spillway.proxy.state.ObjectHomes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Decides which account a request about objects must go to: the one remembered for the first
 * object it names that is remembered at all, else the one a {@link HomeLookup} finds for its first
 * object. Only one object is looked up however many the request names, so a request costs at most
 * one lookup per account; the account then judges the rest. Also remembers the homes of objects as
 * answers create them, and forgets deleted ones.
 */
final class HomeResolver {

    /** Where the request goes, or what the client gets instead. */
    sealed interface Resolution {
        record Home(String backend) implements Resolution {}

        /** No account holds the object: give the client this account's own answer (its 404). */
        record NotFound(int status, String contentType, byte[] body, String backend) implements Resolution {}

        record Refused(ErrorAnswer answer) implements Resolution {}
    }

    private final ObjectHomes homes;
    private final HomeLookup lookup;
    private final ProxyMetrics metrics;
    private final Set<String> backends;
    /** Lookups under way, by lookup path, with everyone waiting for each: requests naming the same unknown object share one. */
    private final Map<String, List<Consumer<HomeLookup.Outcome>>> lookups = new HashMap<>();

    /** @param backends the configured backends' names: a remembered home that is not one of them is ignored */
    HomeResolver(ObjectHomes homes, HomeLookup lookup, ProxyMetrics metrics, Set<String> backends) {
        this.homes = homes;
        this.lookup = lookup;
        this.metrics = metrics;
        this.backends = Set.copyOf(backends);
    }

    void resolve(ObjectAffinity affinity, Consumer<Resolution> done) {
        String home = null;
        ObjectRef homeRef = null;
        for (ObjectRef ref : affinity.named()) {
            Optional<String> remembered = homes.homeOf(ref.id()).filter(backends::contains);
            if (remembered.isEmpty()) {
                continue;
            }
            if (home == null) {
                home = remembered.get();
                homeRef = ref;
            } else if (!home.equals(remembered.get())) {
                metrics.homeLookup(HomeLookupResult.CONFLICT);
                done.accept(new Resolution.Refused(ErrorAnswer.of(400, "objects_in_different_accounts",
                        "This request names '" + homeRef.id() + "' and '" + ref.id() + "', which live in different Azure OpenAI "
                        + "accounts behind this proxy, so no account can serve it. Use objects created in the same account: "
                        + "create the later ones in a request that names the earlier.")));
                return;
            }
        }
        if (home != null) {
            metrics.homeLookup(HomeLookupResult.CACHED);
            done.accept(new Resolution.Home(home));
            return;
        }
        // What other replicas learned, before the accounts are asked.
        homes.find(affinity.named().get(0).id()).whenComplete((shared, failure) -> {
            Optional<String> known = shared == null ? Optional.empty() : shared.filter(backends::contains);
            if (known.isPresent()) {
                metrics.homeLookup(HomeLookupResult.CACHED);
                done.accept(new Resolution.Home(known.get()));
            } else {
                lookUp(affinity, done);
            }
        });
    }

    /** No replica knows where the request's objects live: asks the accounts for the first that can be looked up. */
    private void lookUp(ObjectAffinity affinity, Consumer<Resolution> done) {
        ObjectRef first = affinity.named().stream().filter(ref -> ref.kind().canBeLookedUp()).findFirst().orElse(null);
        if (first == null) {
            ObjectRef unknown = affinity.named().get(0);
            metrics.homeLookup(HomeLookupResult.NOT_FOUND);
            done.accept(new Resolution.Refused(ErrorAnswer.of(404, "object_home_unknown", "This proxy replica did not see '"
                    + unknown.id() + "' created, and the Uploads API has no call to look an upload up with. Send an upload's "
                    + "requests through the replica that created it, or create the upload again.")));
            return;
        }
        find(affinity, first, outcome -> {
            switch (outcome) {
                case HomeLookup.Outcome.Home found -> {
                    homes.remember(first.id(), found.backend());
                    metrics.homeLookup(HomeLookupResult.FOUND);
                    done.accept(new Resolution.Home(found.backend()));
                }
                case HomeLookup.Outcome.Nowhere nowhere -> {
                    metrics.homeLookup(HomeLookupResult.NOT_FOUND);
                    done.accept(new Resolution.NotFound(nowhere.status(), nowhere.contentType(), nowhere.body(), nowhere.backend()));
                }
                case HomeLookup.Outcome.Unreachable unreachable -> {
                    metrics.homeLookup(HomeLookupResult.UNREACHABLE);
                    long seconds = Math.max(1, (unreachable.retryAfterMillis() + 999) / 1000);
                    done.accept(new Resolution.Refused(ErrorAnswer.of(503, "object_home_unreachable",
                            "Could not tell which Azure OpenAI account holds '" + first.id() + "': no account that answered "
                            + "has it, and " + String.join(", ", unreachable.backends()) + " could not be asked. The request "
                            + "was sent nowhere. Retry after " + seconds + " seconds.")
                            .withHeader("Retry-After", Long.toString(seconds))));
                }
            }
        });
    }

    /** Joins the lookup of this object under way, or starts one. */
    private void find(ObjectAffinity affinity, ObjectRef ref, Consumer<HomeLookup.Outcome> outcome) {
        String key = affinity.lookupPath(ref);
        boolean start;
        synchronized (lookups) {
            List<Consumer<HomeLookup.Outcome>> waiting = lookups.get(key);
            start = waiting == null;
            if (start) {
                waiting = new ArrayList<>(2);
                lookups.put(key, waiting);
            }
            waiting.add(outcome);
        }
        if (!start) {
            return;
        }
        lookup.find(affinity, ref, result -> {
            List<Consumer<HomeLookup.Outcome>> waiting;
            synchronized (lookups) {
                waiting = lookups.remove(key);
            }
            waiting.forEach(waiter -> waiter.accept(result));
        });
    }

    /** An answer created this object in this backend's account. */
    void created(String objectId, String backend) {
        homes.remember(objectId, backend);
        metrics.homeLearned();
    }

    void deleted(String objectId) {
        homes.forget(objectId);
    }
}
