package dev.spillway.proxy.state;

import java.time.InstantSource;

/** The in-process budget store keeps the contract every budget store keeps. */
class LocalBudgetStoreTest extends BudgetStoreContract {

    @Override
    BudgetStore newStore(InstantSource clock) {
        return new LocalBudgetStore(clock);
    }
}
