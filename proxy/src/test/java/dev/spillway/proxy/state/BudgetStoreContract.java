package dev.spillway.proxy.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * What every budget store does, the in-process one and the one replicas share on Redis alike: a
 * sliding 60 s window of one-second slots, calendar quota periods in UTC, and reservations that
 * settle to what was used. Every time comes from a manual clock.
 */
abstract class BudgetStoreContract {

    private static final TokenLimits PER_MINUTE_1000 = new TokenLimits(1000, TokenLimits.NONE, null);

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-02T10:00:00.250Z"));
    private final BudgetStore store = newStore(clock);

    /** A store with nothing counted yet, on this clock. */
    abstract BudgetStore newStore(InstantSource clock);

    private Reservation reserve(TokenLimits limits, long tokens) {
        return store.reserve("team-a", limits, tokens).toCompletableFuture().join();
    }

    private Reservation.Admitted admitted(TokenLimits limits, long tokens) {
        Reservation reservation = reserve(limits, tokens);
        assertThat(reservation).isInstanceOf(Reservation.Admitted.class);
        return (Reservation.Admitted) reservation;
    }

    private void settle(Reservation.Admitted reservation, long used) {
        store.settle(reservation, used).toCompletableFuture().join();
    }

    @Test
    void requestsAreAdmittedWhileTheWindowIsBelowItsLimitAndTheLastMayGoOverByItsOwnEstimate() {
        admitted(PER_MINUTE_1000, 600);
        Reservation.Admitted second = admitted(PER_MINUTE_1000, 300);
        assertThat(second.remainingMinute()).isEqualTo(100);
        Reservation.Admitted third = admitted(PER_MINUTE_1000, 300);
        assertThat(third.remainingMinute()).as("over by the last estimate, never shown below 0").isZero();

        assertThat(reserve(PER_MINUTE_1000, 1)).isInstanceOf(Reservation.OverMinute.class);
    }

    @Test
    void aReservationHoldsItsEstimateUntilItIsSettledWithWhatWasUsed() {
        Reservation.Admitted first = admitted(PER_MINUTE_1000, 900);
        admitted(PER_MINUTE_1000, 100);
        assertThat(reserve(PER_MINUTE_1000, 1)).as("in flight, the estimates count").isInstanceOf(Reservation.OverMinute.class);

        settle(first, 50);

        assertThat(admitted(PER_MINUTE_1000, 1).remainingMinute()).isEqualTo(1000 - 50 - 100 - 1);
    }

    @Test
    void aReservationSettledWithZeroFreesItsTokens() {
        Reservation.Admitted refused = admitted(PER_MINUTE_1000, 1000);
        settle(refused, 0);

        assertThat(store.use("team-a", PER_MINUTE_1000).toCompletableFuture().join().minuteUsed()).isZero();
    }

    @Test
    void anEstimateOverTheLimitItselfIsRefusedAsNeverFittingEvenInAnEmptyWindow() {
        Reservation refusal = reserve(PER_MINUTE_1000, 1001);

        assertThat(refusal).isInstanceOfSatisfying(Reservation.OverMinute.class, over -> assertThat(over.neverFits()).isTrue());
        assertThat(store.use("team-a", PER_MINUTE_1000).toCompletableFuture().join().minuteUsed()).as("nothing held").isZero();
    }

    @Test
    void tokensCountUntilTheWholeSecondTheyWereAdmittedInIsSixtySecondsOld() {
        // Admitted at 10:00:00.250: the slot is the second 10:00:00, which ages out at 10:01:01.000.
        admitted(PER_MINUTE_1000, 1000);
        clock.advance(Duration.ofMillis(60_749));
        assertThat(reserve(PER_MINUTE_1000, 1)).as("at 10:01:00.999").isInstanceOf(Reservation.OverMinute.class);

        clock.advance(Duration.ofMillis(1));
        assertThat(reserve(PER_MINUTE_1000, 1)).as("at 10:01:01.000").isInstanceOf(Reservation.Admitted.class);
    }

    @Test
    void aRefusedRequestIsToldTheMomentEnoughOfTheWindowHasAgedOut() {
        admitted(PER_MINUTE_1000, 400);
        clock.advance(Duration.ofSeconds(10));
        admitted(PER_MINUTE_1000, 400);
        clock.advance(Duration.ofSeconds(10));
        admitted(PER_MINUTE_1000, 400);

        Reservation.OverMinute over = (Reservation.OverMinute) reserve(PER_MINUTE_1000, 100);

        assertThat(over.used()).isEqualTo(1200);
        // 1,200 - 400 = 800 < 1,000 once the first slot (10:00:00) ages out, at 10:01:01.
        assertThat(Instant.ofEpochMilli(over.retryAtMillis())).isEqualTo(Instant.parse("2026-12-02T10:01:01Z"));
        assertThat(over.neverFits()).isFalse();
        clock.advance(Duration.ofMillis(over.retryAtMillis() - clock.millis()));
        assertThat(reserve(PER_MINUTE_1000, 100)).as("at the moment it was told").isInstanceOf(Reservation.Admitted.class);
    }

    @Test
    void aSettlementAfterItsSlotAgedOutChangesNothingInTheWindow() {
        Reservation.Admitted longRunning = admitted(PER_MINUTE_1000, 100);
        clock.advance(Duration.ofSeconds(90));
        admitted(PER_MINUTE_1000, 500);

        settle(longRunning, 5000);

        assertThat(store.use("team-a", PER_MINUTE_1000).toCompletableFuture().join().minuteUsed()).isEqualTo(500);
    }

    @Test
    void aDailyQuotaRefusesOnceSpentAndStartsAgainAtUtcMidnight() {
        TokenLimits daily = new TokenLimits(TokenLimits.NONE, 1000, QuotaPeriod.DAILY);
        ManualClock late = new ManualClock(Instant.parse("2026-12-02T23:59:59.500Z"));
        LocalBudgetStore store = new LocalBudgetStore(late);
        store.reserve("team-a", daily, 1000).toCompletableFuture().join();

        Reservation refused = store.reserve("team-a", daily, 1).toCompletableFuture().join();
        assertThat(refused).isInstanceOfSatisfying(Reservation.OverQuota.class, over -> {
            assertThat(over.used()).isEqualTo(1000);
            assertThat(Instant.ofEpochMilli(over.periodEndMillis())).isEqualTo(Instant.parse("2026-12-03T00:00:00Z"));
        });

        late.advance(Duration.ofMillis(500));
        assertThat(store.reserve("team-a", daily, 1).toCompletableFuture().join()).as("at midnight UTC")
                .isInstanceOfSatisfying(Reservation.Admitted.class, admitted -> assertThat(admitted.remainingQuota()).isEqualTo(999));
    }

    @Test
    void aSettlementFromAnEndedPeriodIsNotChargedToTheNewOne() {
        TokenLimits monthly = new TokenLimits(TokenLimits.NONE, 10_000, QuotaPeriod.MONTHLY);
        ManualClock monthEnd = new ManualClock(Instant.parse("2026-12-31T23:59:58Z"));
        LocalBudgetStore store = new LocalBudgetStore(monthEnd);
        Reservation.Admitted december = (Reservation.Admitted) store.reserve("team-a", monthly, 4000).toCompletableFuture().join();

        monthEnd.advance(Duration.ofSeconds(5));
        store.settle(december, 9000).toCompletableFuture().join();

        BudgetStore.BudgetUse january = store.use("team-a", monthly).toCompletableFuture().join();
        assertThat(january.quotaUsed()).isZero();
        assertThat(Instant.ofEpochMilli(january.periodEndMillis())).isEqualTo(Instant.parse("2027-02-01T00:00:00Z"));
    }

    @Test
    void overTheQuotaIsReportedBeforeOverTheMinute() {
        TokenLimits both = new TokenLimits(100, 100, QuotaPeriod.HOURLY);
        admitted(both, 100);

        assertThat(reserve(both, 1)).isInstanceOf(Reservation.OverQuota.class);
    }

    @Test
    void callersAreCountedApart() {
        admitted(PER_MINUTE_1000, 1000);

        assertThat(store.reserve("team-b", PER_MINUTE_1000, 1000).toCompletableFuture().join()).isInstanceOf(Reservation.Admitted.class);
    }

    @Test
    void manyThreadsReservingAtOnceAdmitNoMoreThanTheLimitPlusOneEstimate() throws Exception {
        TokenLimits limits = new TokenLimits(20_000, 50_000, QuotaPeriod.MONTHLY);
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        AtomicLong admittedTokens = new AtomicLong();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            done.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < 500; i++) {
                    if (store.reserve("team-a", limits, 150).toCompletableFuture().join() instanceof Reservation.Admitted admitted) {
                        admittedTokens.addAndGet(150);
                        // Half settle lower than reserved, as real answers do: the room comes back for others.
                        if (i % 2 == 0) {
                            store.settle(admitted, 50).toCompletableFuture().join();
                            admittedTokens.addAndGet(-100);
                        }
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : done) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();

        BudgetStore.BudgetUse use = store.use("team-a", limits).toCompletableFuture().join();
        assertThat(use.minuteUsed()).isEqualTo(admittedTokens.get());
        // The last settlements may bring it just under the limit after the last reservation.
        assertThat(use.minuteUsed()).isBetween(20_000L - 100, 20_000L + 150 - 1);
    }

    @Test
    void periodsStartOnTheirCalendarBoundariesInUtc() {
        long at = Instant.parse("2026-12-02T10:42:17Z").toEpochMilli();
        assertThat(Instant.ofEpochMilli(QuotaPeriod.HOURLY.startMillis(at))).isEqualTo(Instant.parse("2026-12-02T10:00:00Z"));
        assertThat(Instant.ofEpochMilli(QuotaPeriod.DAILY.endMillis(at))).isEqualTo(Instant.parse("2026-12-03T00:00:00Z"));
        // 2026-12-02 is a Wednesday: ISO weeks start on Monday.
        assertThat(Instant.ofEpochMilli(QuotaPeriod.WEEKLY.startMillis(at))).isEqualTo(Instant.parse("2026-11-30T00:00:00Z"));
        assertThat(Instant.ofEpochMilli(QuotaPeriod.MONTHLY.endMillis(at))).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
        assertThat(Instant.ofEpochMilli(QuotaPeriod.YEARLY.startMillis(at))).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
        long leapDay = Instant.parse("2028-02-29T23:59:59.999Z").toEpochMilli();
        assertThat(Instant.ofEpochMilli(QuotaPeriod.MONTHLY.endMillis(leapDay))).isEqualTo(Instant.parse("2028-03-01T00:00:00Z"));
    }

    @Test
    void eachPeriodEndsOnItsCalendarBoundaryInUtcAcrossMonthEndsLeapDaysAndYearEnds() {
        List<String> instants = List.of("2026-12-31T23:59:59.999Z", "2027-01-01T00:00:00Z", "2028-02-28T12:00:00Z",
                "2028-02-29T23:59:59.999Z", "2100-02-28T23:00:00Z", "2026-11-30T00:00:00Z", "2026-11-29T23:59:59.999Z",
                "2027-03-31T23:30:00Z", "2026-06-30T23:59:59.500Z", "2000-02-29T00:00:00Z");
        for (QuotaPeriod period : QuotaPeriod.values()) {
            for (String at : instants) {
                clock.set(Instant.parse(at));
                TokenLimits limits = new TokenLimits(TokenLimits.NONE, 1_000_000, period);
                Reservation.Admitted admitted = (Reservation.Admitted) store.reserve(period + at, limits, 1).toCompletableFuture().join();
                assertThat(Instant.ofEpochMilli(admitted.periodEndMillis())).as(period + " at " + at)
                        .isEqualTo(Instant.ofEpochMilli(period.endMillis(clock.millis())));
                assertThat(admitted.periodStartMillis()).as(period + " at " + at).isEqualTo(period.startMillis(clock.millis()));
            }
        }
    }
}
