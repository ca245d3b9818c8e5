package dev.spillway.proxy.budget;

import dev.spillway.proxy.state.BudgetStore;
import dev.spillway.proxy.state.Reservation;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request's charge to its caller, settled exactly once when its answer ends, whichever way
 * it ends: with the usage the account reported; with its reservation when it was served but the
 * usage never came (a stream cut off, an answer without usage); or with nothing when no account
 * served it. A request tried on several accounts is one charge.
 */
public final class Charge {

    /** For requests whose usage nobody counts. */
    public static final Charge NONE = new Charge(null, null, null);

    private final CallerBudgets.Entry caller;
    private final Reservation.Admitted reservation;
    private final BudgetStore store;
    private final AtomicBoolean settled = new AtomicBoolean();

    Charge(CallerBudgets.Entry caller, Reservation.Admitted reservation, BudgetStore store) {
        this.caller = caller;
        this.reservation = reservation;
        this.store = store;
    }

    /** Whether the answer's usage is wanted: the request comes from a named caller and makes tokens. */
    public boolean counts() {
        return caller != null;
    }

    /** More than any one answer can use; a larger figure from an account is taken as this, so no sum can overflow. */
    static final long MOST_REPORTED = 1_000_000_000L;

    /** The account reported this usage. */
    public void used(long promptTokens, long completionTokens) {
        if (caller == null || !settled.compareAndSet(false, true)) {
            return;
        }
        promptTokens = Math.clamp(promptTokens, 0, MOST_REPORTED);
        completionTokens = Math.clamp(completionTokens, 0, MOST_REPORTED);
        caller.counted(promptTokens, completionTokens);
        if (reservation != null) {
            store.settle(reservation, promptTokens + completionTokens);
        }
    }

    /** Served, but its usage is unknown: the reservation stands as its charge. */
    public void keepReservation() {
        settled.set(true);
    }

    /** Nothing was served (refused, failed, every account throttled): charged nothing. */
    public void release() {
        if (!settled.compareAndSet(false, true) || reservation == null) {
            return;
        }
        store.settle(reservation, 0);
    }
}
