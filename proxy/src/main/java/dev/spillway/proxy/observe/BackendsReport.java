package dev.spillway.proxy.observe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spillway.proxy.config.BackendConfig;
import dev.spillway.proxy.route.Cluster;
import dev.spillway.proxy.route.Endpoint;
import dev.spillway.proxy.route.QuotaState;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.List;

/** The JSON behind {@code /backends}: every backend, and its state for each deployment seen so far. */
public final class BackendsReport {

    private final Cluster cluster;
    private final InstantSource clock;
    private final ObjectMapper json = new ObjectMapper();

    public BackendsReport(Cluster cluster, InstantSource clock) {
        this.cluster = cluster;
        this.clock = clock;
    }

    /** @param held requests held for an account to have room (the bounded wait), by deployment */
    public String render(java.util.Map<String, Integer> held) {
        long now = clock.millis();
        ObjectNode root = json.createObjectNode();
        root.put("time", Instant.ofEpochMilli(now).toString());
        ObjectNode queues = root.putObject("held");
        held.forEach(queues::put);
        ArrayNode backends = root.putArray("backends");
        List<Endpoint> endpoints = cluster.allEndpoints().stream()
                .sorted(Comparator.comparing(Endpoint::deployment)).toList();
        for (BackendConfig backend : cluster.backends()) {
            ObjectNode node = backends.addObject();
            node.put("name", backend.name());
            node.put("url", backend.url().toString());
            node.put("priority", backend.priority());
            node.put("weight", backend.weight());
            node.put("credential", backend.apiKey().isPresent() ? "api-key" : "entra-id");
            ArrayNode deployments = node.putArray("deployments");
            for (Endpoint endpoint : endpoints) {
                if (endpoint.backend().name().equals(backend.name())) {
                    deployments.add(endpoint(endpoint, now));
                }
            }
        }
        return root.toString();
    }

    private ObjectNode endpoint(Endpoint endpoint, long now) {
        ObjectNode node = json.createObjectNode();
        node.put("deployment", endpoint.deployment().isEmpty() ? "*" : endpoint.deployment());
        boolean throttled = endpoint.isThrottled(now);
        boolean cooling = endpoint.health().isCooling(now);
        node.put("state", throttled ? "throttled" : cooling ? "cooling" : "available");
        node.put("blockedUntil", throttled ? Instant.ofEpochMilli(endpoint.throttledUntilMillis()).toString() : null);
        node.put("coolingUntil", cooling ? Instant.ofEpochMilli(endpoint.health().coolingUntilMillis()).toString() : null);
        QuotaState.Snapshot quota = endpoint.quota().snapshot();
        ObjectNode last = node.putObject("lastRateLimit");
        last.put("observedAt", quota.observedAtMillis() < 0 ? null : Instant.ofEpochMilli(quota.observedAtMillis()).toString());
        putKnown(last, "remainingTokens", quota.remainingTokens());
        putKnown(last, "remainingRequests", quota.remainingRequests());
        putKnown(last, "limitTokens", quota.limitTokens());
        putKnown(last, "limitRequests", quota.limitRequests());
        QuotaState.Headroom headroom = endpoint.quota().headroom(now);
        if (headroom.known()) {
            node.putObject("estimatedHeadroom").put("tokens", headroom.tokens()).put("requests", headroom.requests());
        }
        node.put("inFlight", endpoint.inFlight());
        node.putObject("totals").put("served", endpoint.stats().served()).put("throttled", endpoint.stats().throttled())
                .put("failed", endpoint.stats().failed());
        return node;
    }

    private static void putKnown(ObjectNode node, String field, long value) {
        if (value < 0) {
            node.putNull(field);
        } else {
            node.put(field, value);
        }
    }
}
