package dev.spillway.proxy.config;

import dev.spillway.proxy.state.QuotaPeriod;
import dev.spillway.proxy.state.TokenLimits;
import java.util.List;

/**
 * One entry of {@code SPILLWAY_CALLERS}: a name, the credentials that identify it, and its optional
 * token budget.
 *
 * @param apiKeys    inbound keys that identify this caller (accepted beside {@code SPILLWAY_API_KEYS})
 * @param principals Entra object ids ({@code oid}) or app ids ({@code appid}/{@code azp}) that identify it
 */
public record CallerConfig(String name, List<String> apiKeys, List<String> principals, TokenLimits limits) {

    public CallerConfig {
        apiKeys = List.copyOf(apiKeys);
        principals = List.copyOf(principals);
    }

    /** Never prints the keys. */
    @Override
    public String toString() {
        return "CallerConfig[name=" + name + ", apiKeys=" + apiKeys.size() + " configured, principals=" + principals + ", limits=" + limits + "]";
    }

    static TokenLimits limits(long perMinute, long quota, QuotaPeriod period) {
        return new TokenLimits(perMinute, quota, period);
    }
}
