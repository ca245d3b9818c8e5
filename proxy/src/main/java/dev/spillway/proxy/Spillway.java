package dev.spillway.proxy;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import dev.spillway.proxy.auth.ApiKeyAuthenticator;
import dev.spillway.proxy.auth.Authenticator;
import dev.spillway.proxy.auth.EntraTokenAuthenticator;
import dev.spillway.proxy.auth.InboundAuth;
import dev.spillway.proxy.budget.Caller;
import dev.spillway.proxy.budget.CallerBudgets;
import dev.spillway.proxy.config.BackendConfig;
import dev.spillway.proxy.config.CallerConfig;
import dev.spillway.proxy.config.ProxyConfig;
import dev.spillway.proxy.forward.ApiKeyCredential;
import dev.spillway.proxy.forward.BackendCredential;
import dev.spillway.proxy.forward.EntraTokenCredential;
import dev.spillway.proxy.forward.Forwarder;
import dev.spillway.proxy.forward.SharedIo;
import dev.spillway.proxy.route.AvailabilityFilter;
import dev.spillway.proxy.route.Cluster;
import dev.spillway.proxy.route.LoadBalancingPolicy;
import dev.spillway.proxy.route.OutlierDetection;
import dev.spillway.proxy.route.QuotaAwarePolicy;
import dev.spillway.proxy.route.RoundRobinPolicy;
import dev.spillway.proxy.route.Router;
import dev.spillway.proxy.route.ThrottleObserver;
import dev.spillway.proxy.route.WeightedRandomPolicy;
import dev.spillway.proxy.observe.BackendsReport;
import dev.spillway.proxy.observe.ProxyMetrics;
import dev.spillway.proxy.server.ProxyServer;
import dev.spillway.proxy.config.StateConfig;
import dev.spillway.proxy.state.AccountStates;
import dev.spillway.proxy.state.BudgetStore;
import dev.spillway.proxy.state.FailoverBudgetStore;
import dev.spillway.proxy.state.LocalBudgetStore;
import dev.spillway.proxy.state.LocalObjectHomes;
import dev.spillway.proxy.state.ObjectHomes;
import dev.spillway.proxy.state.RedisAccountStates;
import dev.spillway.proxy.state.RedisBudgetStore;
import dev.spillway.proxy.state.RedisObjectHomes;
import dev.spillway.proxy.state.SharedStore;
import io.lettuce.authx.TokenBasedRedisCredentialsProvider;
import io.lettuce.core.RedisCredentialsProvider;
import redis.clients.authentication.entraid.EntraIDTokenAuthConfigBuilder;
import redis.clients.authentication.entraid.ManagedIdentityInfo;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/** Wires the proxy's pieces together from a {@link ProxyConfig}: the one place that knows them all. */
public final class Spillway {

    /** How long a 429 blocks an endpoint when it names no time at all. */
    static final Duration DEFAULT_THROTTLE = Duration.ofSeconds(10);

    /** Object homes remembered: ~15 MB at most; a forgotten one costs a lookup. */
    static final long OBJECT_HOMES = 100_000;
    static final Duration OBJECT_HOME_IDLE = Duration.ofHours(24);

    /** Azure Managed Redis's Entra ID audience. */
    static final String REDIS_SCOPE = "https://redis.azure.com/.default";

    /** Past it, a call to the shared store counts as failed and the replica goes on with its own state. */
    static final Duration STATE_DEADLINE = Duration.ofMillis(50);

    /** Each call draws from the calling thread's own generator: no contention, no shared state. */
    private static final RandomGenerator THREAD_LOCAL_RANDOM = () -> ThreadLocalRandom.current().nextLong();

    private Spillway() {}

    /**
     * @param entraCredential where backend tokens come from, for backends without an API key; called
     *                        at most once, and only if such a backend exists
     */
    public static ProxyServer assemble(ProxyConfig config, Supplier<TokenCredential> entraCredential) {
        return assemble(config, entraCredential, InstantSource.system());
    }

    public static ProxyServer assemble(ProxyConfig config, Supplier<TokenCredential> entraCredential, InstantSource clock) {
        SharedIo io = SharedIo.start();
        SharedStore store = config.state().map(state -> sharedStore(state, config.azureClientId(), io)).orElse(null);
        AccountStates accountStates = store == null ? AccountStates.NONE : new RedisAccountStates(store, clock);
        Cluster cluster = new Cluster(config.backends());
        Router router = new Router(cluster, new AvailabilityFilter(config.limits().maxRequestsPerBackend(),
                config.policy() == ProxyConfig.BalancingPolicy.QUOTA), policy(config, clock),
                new ThrottleObserver(DEFAULT_THROTTLE), new OutlierDetection(config.failureCooldown()), clock, accountStates);
        accountStates.onReceived(router::apply);
        Forwarder forwarder = new Forwarder(config.connectTimeout(), config.headersTimeout(),
                backendCredentials(config.backends(), entraCredential, clock), io);
        ProxyMetrics metrics = new ProxyMetrics();
        BudgetStore budgetStore = new LocalBudgetStore(clock);
        ObjectHomes homes = new LocalObjectHomes(OBJECT_HOMES, OBJECT_HOME_IDLE, Ticker.systemTicker());
        if (store != null) {
            budgetStore = new FailoverBudgetStore(store, new RedisBudgetStore(store), budgetStore);
            homes = new RedisObjectHomes(store, homes);
            metrics.watchStateStore(store::up);
            store.start();
        }
        CallerBudgets budgets = new CallerBudgets(config.auth().callers().stream().map(c -> new Caller(c.name(), c.limits())).toList(),
                budgetStore, metrics);
        return new ProxyServer("0.0.0.0", inboundAuth(config, clock), router, forwarder, config.maxBodyBytes(),
                config.limits(), config.waiting(), metrics, new BackendsReport(cluster, clock), io, homes, budgets,
                store == null ? () -> { } : store);
    }

    /**
     * The store replicas share. With Entra, redis-authx fetches the managed identity's token for
     * Azure Managed Redis, signs in as its object id and signs in again before the token expires.
     */
    private static SharedStore sharedStore(StateConfig state, Optional<String> azureClientId, SharedIo io) {
        RedisCredentialsProvider credentials = null;
        if (state.authentication() == StateConfig.Authentication.ENTRA) {
            EntraIDTokenAuthConfigBuilder entra = EntraIDTokenAuthConfigBuilder.builder().scopes(Set.of(REDIS_SCOPE));
            azureClientId.ifPresentOrElse(id -> entra.userAssignedManagedIdentity(ManagedIdentityInfo.UserManagedIdentityType.CLIENT_ID, id),
                    entra::systemAssignedManagedIdentity);
            credentials = TokenBasedRedisCredentialsProvider.create(entra.build());
        }
        return new SharedStore(state, credentials, STATE_DEADLINE, io.threads());
    }

    /** The production credential: the user-assigned managed identity if named, else azure-identity's default chain. */
    public static Supplier<TokenCredential> azureCredential(ProxyConfig config) {
        return () -> config.azureClientId()
                .<TokenCredential>map(id -> new ManagedIdentityCredentialBuilder().clientId(id).build())
                .orElseGet(() -> new DefaultAzureCredentialBuilder().build());
    }

    private static LoadBalancingPolicy policy(ProxyConfig config, InstantSource clock) {
        return switch (config.policy()) {
            case QUOTA -> new QuotaAwarePolicy(THREAD_LOCAL_RANDOM, clock);
            case RANDOM -> new WeightedRandomPolicy(THREAD_LOCAL_RANDOM);
            case ROUNDROBIN -> new RoundRobinPolicy();
        };
    }

    private static InboundAuth inboundAuth(ProxyConfig config, InstantSource clock) {
        if (config.auth().disabled()) {
            return InboundAuth.disabled();
        }
        List<Authenticator> authenticators = new ArrayList<>();
        // Entra first: when a JWT-shaped Bearer fails, its reason (expired, wrong audience) beats "not a valid key".
        Map<String, List<String>> callerKeys = new LinkedHashMap<>();
        Map<String, List<String>> callerPrincipals = new LinkedHashMap<>();
        for (CallerConfig caller : config.auth().callers()) {
            callerKeys.put(caller.name(), caller.apiKeys());
            callerPrincipals.put(caller.name(), caller.principals());
        }
        config.auth().entra().ifPresent(entra ->
                authenticators.add(new EntraTokenAuthenticator(entra, config.auth().allowedPrincipals(), callerPrincipals, clock)));
        if (!config.auth().apiKeys().isEmpty() || callerKeys.values().stream().anyMatch(keys -> !keys.isEmpty())) {
            authenticators.add(new ApiKeyAuthenticator(config.auth().apiKeys(), callerKeys));
        }
        return InboundAuth.of(authenticators);
    }

    private static Map<String, BackendCredential> backendCredentials(List<BackendConfig> backends,
                                                                     Supplier<TokenCredential> entraCredential,
                                                                     InstantSource clock) {
        Map<String, BackendCredential> credentials = new HashMap<>();
        EntraTokenCredential shared = null;
        for (BackendConfig backend : backends) {
            if (backend.apiKey().isPresent()) {
                credentials.put(backend.name(), new ApiKeyCredential(backend.apiKey().get()));
            } else {
                if (shared == null) {
                    shared = new EntraTokenCredential(entraCredential.get(), clock);
                }
                credentials.put(backend.name(), shared);
            }
        }
        return credentials;
    }
}
