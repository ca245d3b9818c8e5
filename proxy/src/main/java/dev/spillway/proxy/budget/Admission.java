package dev.spillway.proxy.budget;

import dev.spillway.proxy.state.Reservation;

/** What a caller's budget made of a request, before any account is called. */
public sealed interface Admission {

    /** What the request will be charged through, once its answer ends. */
    Charge charge();

    /**
     * The request may go on. {@code caller} is null for a caller with no name (a key of
     * {@code SPILLWAY_API_KEYS}, an unnamed Entra principal); the remaining counts are -1 where the
     * caller has no such limit.
     */
    record Admitted(Charge charge, String caller, long remainingMinute, long remainingQuota) implements Admission {}

    /** Over a limit: answered at once, charged nothing. {@code refusal} is a {@link Reservation.OverMinute} or {@link Reservation.OverQuota}. */
    record Refused(String caller, Reservation refusal) implements Admission {
        @Override
        public Charge charge() {
            return Charge.NONE;
        }
    }
}
