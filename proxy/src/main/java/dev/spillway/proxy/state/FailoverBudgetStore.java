package dev.spillway.proxy.state;

import java.util.concurrent.CompletionStage;

/**
 * Budgets counted in the shared store while it answers, and in this process while it does not: a
 * request is never failed, nor held past the store's deadline, for want of the store. Meanwhile
 * each replica enforces each limit on its own, so the fleet can admit up to replicas x limit. A
 * reservation is settled in the store that counted it.
 */
public final class FailoverBudgetStore implements BudgetStore {

    private final SharedStore store;
    private final BudgetStore shared;
    private final BudgetStore local;

    public FailoverBudgetStore(SharedStore store, BudgetStore shared, BudgetStore local) {
        this.store = store;
        this.shared = shared;
        this.local = local;
    }

    @Override
    public CompletionStage<Reservation> reserve(String caller, TokenLimits limits, long tokens) {
        if (!store.up()) {
            return local.reserve(caller, limits, tokens);
        }
        return shared.reserve(caller, limits, tokens)
                .exceptionallyCompose(failure -> local.reserve(caller, limits, tokens));
    }

    @Override
    public CompletionStage<Void> settle(Reservation.Admitted reservation, long usedTokens) {
        if (!reservation.shared()) {
            return local.settle(reservation, usedTokens);
        }
        // Lost with the store: the reservation stands there as the charge, which errs on the side of less.
        return shared.settle(reservation, usedTokens).exceptionally(failure -> null);
    }

    @Override
    public CompletionStage<BudgetUse> use(String caller, TokenLimits limits) {
        if (!store.up()) {
            return local.use(caller, limits);
        }
        return shared.use(caller, limits).exceptionallyCompose(failure -> local.use(caller, limits));
    }
}
