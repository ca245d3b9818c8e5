package dev.spillway.proxy.state;

/** What the {@link BudgetStore} made of a request to reserve tokens. */
public sealed interface Reservation {

    /** The store's clock when it decided. */
    long nowMillis();

    /**
     * The tokens are held against the caller's window and quota until {@link BudgetStore#settle}. It
     * says where they were put (the window's second, the quota's period), so settling needs no
     * state kept between the two calls.
     *
     * @param windowSecond          the window slot (epoch second) that holds them
     * @param periodStartMillis     the quota period that holds them
     * @param remainingMinute       room left in the 60 s window after this reservation (never below 0), or -1 with no such limit
     * @param remainingQuota        room left in the period after this reservation (never below 0), or -1 with no quota
     * @param periodEndMillis       when the quota's period ends, or -1 with no quota
     * @param shared                counted in the store replicas share, not in this process's: settled where it was counted
     */
    record Admitted(String caller, long tokens, long windowSecond, long periodStartMillis, long remainingMinute, long remainingQuota,
                    long periodEndMillis, long nowMillis, boolean shared) implements Reservation {}

    /**
     * The 60 s window is full. {@code retryAtMillis}: when enough of it will have aged out for this
     * request; {@code neverFits}: the request's estimate alone is over the limit, so no wait helps.
     */
    record OverMinute(long limit, long used, long tokens, long retryAtMillis, boolean neverFits, long remainingQuota, long periodEndMillis,
                      long nowMillis) implements Reservation {}

    /** The period's quota is spent; it starts again at {@code periodEndMillis}. */
    record OverQuota(long quota, long used, QuotaPeriod period, long periodEndMillis, long remainingMinute, long nowMillis)
            implements Reservation {}
}
