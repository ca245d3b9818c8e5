package dev.spillway.proxy.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything the proxy needs to run, read once at start-up by {@link ProxyConfigReader}.
 *
 * @param port            listen port
 * @param backends        the accounts, in configuration order
 * @param auth            inbound authentication
 * @param maxBodyBytes    larger request bodies get 413
 * @param connectTimeout  past it, an attempt fails over to the next backend
 * @param headersTimeout  time from sending a request to the backend's response headers; past it, fail over
 * @param failureCooldown how long a backend that failed (5xx, connect error, timeout, 401/403) is avoided
 * @param policy          how to spread load within a priority group
 * @param azureClientId   the user-assigned managed identity that gets backend tokens
 * @param limits          backpressure, slow-client and shutdown limits
 * @param waiting         how long a request may be held for the next free account
 * @param state           where replicas share state; empty: this process's memory only
 */
public record ProxyConfig(
        int port,
        List<BackendConfig> backends,
        AuthConfig auth,
        long maxBodyBytes,
        Duration connectTimeout,
        Duration headersTimeout,
        Duration failureCooldown,
        BalancingPolicy policy,
        Optional<String> azureClientId,
        Limits limits,
        Waiting waiting,
        Optional<StateConfig> state) {

    public ProxyConfig {
        backends = List.copyOf(backends);
    }


    /**
     * @param maxConcurrentRequests client requests handled at once; beyond, 503 with Retry-After
     * @param maxRequestsPerBackend attempts in flight to one backend; a backend at its cap is skipped
     * @param maxHeaderBytes        request header size limit; larger gets 431
     * @param clientIdleTimeout     a client connection silent this long is closed (slow headers or body)
     * @param clientHeaderTimeout   the request line and headers must arrive within this time, however steadily they trickle
     * @param maxConnections        open client connections; beyond, new ones wait in the accept queue
     * @param bodyTimeout           the whole request body must arrive within this time, else 408
     * @param drainGrace            after SIGTERM, how long new requests are still taken while /readyz says 503
     * @param drainTimeout          after SIGTERM, how long in-flight requests and streams may run before exit
     */
    public record Limits(int maxConcurrentRequests, int maxRequestsPerBackend, int maxHeaderBytes,
                         Duration clientIdleTimeout, Duration clientHeaderTimeout, int maxConnections, Duration bodyTimeout, Duration drainGrace, Duration drainTimeout) {}

    /**
     * @param maxWait                 the longest a request is held for an account to have room; zero turns waiting off
     * @param maxQueuedPerDeployment  requests held at once for one deployment; beyond, 429 at once
     */
    public record Waiting(Duration maxWait, int maxQueuedPerDeployment) {
        public boolean enabled() {
            return !maxWait.isZero() && maxQueuedPerDeployment > 0;
        }
    }

    /** The load-balancing policies a user can pick with {@code SPILLWAY_POLICY}. */
    public enum BalancingPolicy {
        /** most estimated quota headroom, from rate-limit headers and request cost (power of two choices) */
        QUOTA,
        /** weighted random: the reference sample's behaviour */
        RANDOM,
        /** in turn */
        ROUNDROBIN
    }
}
