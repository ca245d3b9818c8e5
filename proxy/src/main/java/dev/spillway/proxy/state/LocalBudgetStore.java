package dev.spillway.proxy.state;

import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The budget store of one proxy process: each caller's window and period counter in memory, each
 * operation under that caller's lock. Callers come from configuration, so the map is bounded.
 */
public final class LocalBudgetStore implements BudgetStore {

    private final InstantSource clock;
    private final Map<String, Counters> callers = new ConcurrentHashMap<>();

    public LocalBudgetStore(InstantSource clock) {
        this.clock = clock;
    }

    @Override
    public CompletionStage<Reservation> reserve(String caller, TokenLimits limits, long tokens) {
        return CompletableFuture.completedFuture(counters(caller).reserve(caller, limits, tokens, clock.millis()));
    }

    @Override
    public CompletionStage<Void> settle(Reservation.Admitted reservation, long usedTokens) {
        counters(reservation.caller()).settle(reservation, usedTokens, clock.millis());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<BudgetUse> use(String caller, TokenLimits limits) {
        return CompletableFuture.completedFuture(counters(caller).use(limits, clock.millis()));
    }

    private Counters counters(String caller) {
        return callers.computeIfAbsent(caller, name -> new Counters());
    }

    /** One caller's window and period counter; every method holds its lock for a few dozen additions. */
    private static final class Counters {
        private final long[] slotTokens = new long[TokenWindow.SLOTS];
        private final long[] slotSecond = new long[TokenWindow.SLOTS];
        private long periodStart = Long.MIN_VALUE;
        private long periodUsed;

        synchronized Reservation reserve(String caller, TokenLimits limits, long tokens, long now) {
            long second = Math.floorDiv(now, 1000);
            long minuteUsed = limits.limitsMinute() ? TokenWindow.used(slotTokens, slotSecond, second) : 0;
            long quotaUsed = limits.limitsQuota() ? periodUsed(limits.period(), now) : 0;
            long periodEnd = limits.limitsQuota() ? limits.period().endMillis(now) : -1;
            if (limits.limitsQuota() && quotaUsed >= limits.quota()) {
                return new Reservation.OverQuota(limits.quota(), quotaUsed, limits.period(), periodEnd,
                        limits.limitsMinute() ? Math.max(0, limits.perMinute() - minuteUsed) : -1, now);
            }
            if (limits.limitsMinute() && (tokens > limits.perMinute() || minuteUsed >= limits.perMinute())) {
                boolean neverFits = tokens > limits.perMinute();
                long retryAt = neverFits ? now : TokenWindow.fitsAtMillis(slotTokens, slotSecond, second, limits.perMinute());
                return new Reservation.OverMinute(limits.perMinute(), minuteUsed, tokens, retryAt, neverFits,
                        limits.limitsQuota() ? Math.max(0, limits.quota() - quotaUsed) : -1, periodEnd, now);
            }
            TokenWindow.add(slotTokens, slotSecond, second, tokens);
            if (limits.limitsQuota()) {
                periodUsed += tokens;
            }
            return new Reservation.Admitted(caller, tokens, second, limits.limitsQuota() ? periodStart : -1,
                    limits.limitsMinute() ? Math.max(0, limits.perMinute() - minuteUsed - tokens) : -1,
                    limits.limitsQuota() ? Math.max(0, limits.quota() - quotaUsed - tokens) : -1, periodEnd, now, false);
        }

        synchronized void settle(Reservation.Admitted reservation, long usedTokens, long now) {
            long change = usedTokens - reservation.tokens();
            // A request that outlived the window's slot or the quota's period settles where it was counted, or nowhere.
            TokenWindow.adjust(slotTokens, slotSecond, reservation.windowSecond(), Math.floorDiv(now, 1000), change);
            if (reservation.periodStartMillis() >= 0 && reservation.periodStartMillis() == periodStart) {
                periodUsed = Math.max(0, periodUsed + change);
            }
        }

        synchronized BudgetUse use(TokenLimits limits, long now) {
            long second = Math.floorDiv(now, 1000);
            return new BudgetUse(TokenWindow.used(slotTokens, slotSecond, second),
                    limits.limitsQuota() ? periodUsed(limits.period(), now) : 0,
                    limits.limitsQuota() ? limits.period().endMillis(now) : -1, now);
        }

        private long periodUsed(QuotaPeriod period, long now) {
            long start = period.startMillis(now);
            if (start != periodStart) {
                periodStart = start;
                periodUsed = 0;
            }
            return periodUsed;
        }
    }
}
