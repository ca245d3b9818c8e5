package dev.spillway.proxy.route;

import java.time.Duration;

/**
 * Passive health: a backend that failed (5xx, connect error, timeout, 401/403) cools down for a
 * short, fixed time; the next success ends the cool-down at once.
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

    public void succeeded(Endpoint endpoint) {
        if (endpoint.health().coolingUntilMillis() != 0) {
            endpoint.health().recover();
        }
    }
}
