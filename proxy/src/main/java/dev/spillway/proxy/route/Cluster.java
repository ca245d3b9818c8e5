package dev.spillway.proxy.route;

import dev.spillway.proxy.config.BackendConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every backend, and for each deployment seen so far its endpoint on every backend. Endpoints are
 * created on first use, since the proxy learns deployment names from requests.
 */
public final class Cluster {

    /** Deployment names come from clients; past this many, new names are not remembered, so junk cannot grow memory. */
    static final int MAX_REMEMBERED_DEPLOYMENTS = 256;

    private final List<BackendConfig> backends;
    private final Map<String, BackendHealth> health = new ConcurrentHashMap<>();
    private final Map<String, List<Endpoint>> endpointsByDeployment = new ConcurrentHashMap<>();

    public Cluster(List<BackendConfig> backends) {
        this.backends = List.copyOf(backends);
        for (BackendConfig backend : this.backends) {
            health.put(backend.name(), new BackendHealth());
        }
    }

    public List<BackendConfig> backends() {
        return backends;
    }

    /** The endpoints serving a deployment, one per backend, in configuration order. */
    public List<Endpoint> endpoints(String deployment) {
        List<Endpoint> known = endpointsByDeployment.get(deployment);
        if (known != null) {
            return known;
        }
        if (endpointsByDeployment.size() >= MAX_REMEMBERED_DEPLOYMENTS) {
            return newEndpoints(deployment);
        }
        return endpointsByDeployment.computeIfAbsent(deployment, this::newEndpoints);
    }

    private List<Endpoint> newEndpoints(String deployment) {
        List<Endpoint> endpoints = new ArrayList<>(backends.size());
        for (BackendConfig backend : backends) {
            endpoints.add(new Endpoint(backend, deployment, health.get(backend.name())));
        }
        return List.copyOf(endpoints);
    }

    /** Whether this deployment name has its own endpoints (and so may label metrics). */
    public boolean remembers(String deployment) {
        return endpointsByDeployment.containsKey(deployment);
    }

    /** Every endpoint created so far, for status pages and metrics. */
    public List<Endpoint> allEndpoints() {
        List<Endpoint> all = new ArrayList<>();
        endpointsByDeployment.values().forEach(all::addAll);
        return all;
    }
}
