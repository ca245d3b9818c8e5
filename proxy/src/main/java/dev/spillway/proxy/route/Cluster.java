package dev.spillway.proxy.route;

import dev.spillway.proxy.config.BackendConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every backend, and for each known deployment its endpoint on every backend. Deployment names
 * come from clients, so a name only gets endpoints that remember state (throttling, quota, totals)
 * once an account has shown it exists, by answering it with a success or a 429; until then each
 * request gets provisional endpoints that are dropped with it. Junk names therefore cannot grow
 * memory, and cannot crowd out or evict the state of real deployments: known ones are never
 * forgotten, since their number is bounded by what the accounts really have deployed.
 */
public final class Cluster {

    /** A backstop: no account has this many deployments, so past it new names simply stay provisional. */
    static final int MAX_KNOWN_DEPLOYMENTS = 256;

    private final List<BackendConfig> backends;
    private final Map<String, BackendHealth> health = new ConcurrentHashMap<>();
    private final Map<String, List<Endpoint>> known = new ConcurrentHashMap<>();

    public Cluster(List<BackendConfig> backends) {
        this.backends = List.copyOf(backends);
        for (BackendConfig backend : this.backends) {
            health.put(backend.name(), new BackendHealth());
        }
    }

    public List<BackendConfig> backends() {
        return backends;
    }

    /** The endpoints serving a deployment, one per backend, in configuration order; provisional if the name is not known. */
    public List<Endpoint> endpoints(String deployment) {
        List<Endpoint> endpoints = known.get(deployment);
        return endpoints != null ? endpoints : newEndpoints(deployment);
    }

    /** The endpoint serving a deployment on one backend, or null if no backend has that name. */
    public Endpoint endpoint(String deployment, String backend) {
        for (Endpoint endpoint : endpoints(deployment)) {
            if (endpoint.backend().name().equals(backend)) {
                return endpoint;
            }
        }
        return null;
    }

    /**
     * An account has shown this deployment exists: from now on its endpoints keep their state.
     * Returns the known counterpart of the given endpoint, or null when the backstop is reached.
     */
    Endpoint confirm(Endpoint endpoint) {
        List<Endpoint> endpoints = known.get(endpoint.deployment());
        if (endpoints == null) {
            if (known.size() >= MAX_KNOWN_DEPLOYMENTS) {
                return null;
            }
            endpoints = known.computeIfAbsent(endpoint.deployment(), this::newEndpoints);
        }
        return counterpart(endpoints, endpoint);
    }

    /** The known endpoint for the same backend and deployment, or null while the deployment is provisional. */
    Endpoint known(Endpoint endpoint) {
        List<Endpoint> endpoints = known.get(endpoint.deployment());
        return endpoints == null ? null : counterpart(endpoints, endpoint);
    }

    private static Endpoint counterpart(List<Endpoint> endpoints, Endpoint endpoint) {
        for (Endpoint candidate : endpoints) {
            if (candidate.equals(endpoint)) {
                return candidate;
            }
        }
        return null;
    }

    private List<Endpoint> newEndpoints(String deployment) {
        List<Endpoint> endpoints = new ArrayList<>(backends.size());
        for (BackendConfig backend : backends) {
            endpoints.add(new Endpoint(backend, deployment, health.get(backend.name())));
        }
        return List.copyOf(endpoints);
    }

    /** Whether this deployment name is known (and so may label metrics). */
    public boolean remembers(String deployment) {
        return known.containsKey(deployment);
    }

    /** Every endpoint of every known deployment, for status pages and metrics. */
    public List<Endpoint> allEndpoints() {
        List<Endpoint> all = new ArrayList<>();
        known.values().forEach(all::addAll);
        return all;
    }
}
