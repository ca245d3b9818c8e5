package dev.spillway.proxy.state;

import java.util.function.Consumer;

/**
 * How replicas tell each other what the accounts said (429 blocks, remaining quota), so that one
 * replica's 429 keeps every replica off that account. Each replica keeps its own copy, fed by what
 * the others publish: choosing an account never waits for the store.
 */
public interface AccountStates {

    /** A replica on its own has no one to tell. */
    AccountStates NONE = new AccountStates() {
        @Override
        public void publish(AccountState state) {
        }

        @Override
        public void onReceived(Consumer<AccountState> listener) {
        }
    };

    /** Tells the other replicas; never blocks, and is lost quietly while the store is down. */
    void publish(AccountState state);

    /** What other replicas publish (and, after the store is regained, what they published meanwhile) goes to {@code listener}. */
    void onReceived(Consumer<AccountState> listener);
}
