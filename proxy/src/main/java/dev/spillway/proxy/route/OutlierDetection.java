package dev.spillway.proxy.route;

import java.time.Duration;

/**
 * Passive health: a backend that failed (5xx, connect error, timeout, 401/403) cools down for a
 * short, fixed time; a success ends the cool-down at once, if its attempt was sent after the
 * failure (a slow request that was already in flight says nothing about the backend since).
 */
public final class OutlierDetection {

    private final Duration cooldown;

    public OutlierDetection(Duration cooldown) {
        this.cooldown = cooldown;
    }

    public void failed(Endpoint endpoint, long nowMillis) {
        if (!cooldown.isZero()) {
            endpoint.health().coolUntil(nowMillis + cooldown.toMillis());
        }
    }

    /** @param failureCountWhenSent {@link RouteDecision.Attempt#failureCountWhenSent()} of the attempt that succeeded */
    public void succeeded(Endpoint endpoint, long failureCountWhenSent) {
        if (endpoint.health().coolingUntilMillis() != 0) {
            endpoint.health().recover(failureCountWhenSent);
        }
    }
}
