package dev.spillway.proxy.state;

import java.util.concurrent.CompletionStage;

/**
 * Counters of the tokens each caller spent: a sliding 60 s window (one slot per second) and a
 * counter per calendar period. Each operation is one atomic step on the store's own clock, so that
 * an implementation on Redis is one script per call (reading the server's {@code TIME}) and
 * replicas with skewed clocks still agree. An admitted request holds its estimate until it is
 * settled with what it really used, so concurrent requests see each other's reservations.
 */
public interface BudgetStore {

    /**
     * Admits {@code tokens} if the caller's window is not yet full and its quota not yet spent (so a
     * caller can go over by at most the last request's estimate, however many are in flight), and
     * holds them; else says which limit refused and until when. A request whose estimate alone is
     * over the per-minute limit is refused whatever the window holds.
     */
    CompletionStage<Reservation> reserve(String caller, TokenLimits limits, long tokens);

    /** Replaces an admitted reservation with the tokens really used (0 frees it). Exactly once per reservation. */
    CompletionStage<Void> settle(Reservation.Admitted reservation, long usedTokens);

    /** What the caller has spent now, reservations included, without changing anything. */
    CompletionStage<BudgetUse> use(String caller, TokenLimits limits);

    /**
     * @param minuteUsed      tokens in the last 60 s, reservations included
     * @param quotaUsed       tokens in the current period, reservations included
     * @param periodEndMillis when the current period ends, or -1 with no quota
     */
    record BudgetUse(long minuteUsed, long quotaUsed, long periodEndMillis, long nowMillis) {}
}
