package dev.spillway.proxy.state;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * What one replica learned about one (backend, deployment) and tells the others: a 429 block's end,
 * or the quota its account last reported. Figures not known are -1.
 *
 * @param blockedUntilMillis when a 429 block ends (wall clock; replicas' clocks are NTP-synced, and a
 *                           skew only moves the end by as much), or -1 for a quota report
 * @param observedAtMillis   when the figures were seen
 */
public record AccountState(String backend, String deployment, long blockedUntilMillis, long remainingTokens, long remainingRequests,
                           long limitTokens, long limitRequests, long observedAtMillis) {

    public static AccountState blocked(String backend, String deployment, long untilMillis, long nowMillis) {
        return new AccountState(backend, deployment, untilMillis, -1, -1, -1, -1, nowMillis);
    }

    @JsonIgnore
    public boolean isBlock() {
        return blockedUntilMillis >= 0;
    }
}
