package dev.spillway.proxy.state;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;

/**
 * A calendar period in UTC over which a caller's token quota is counted, as Azure API Management's
 * {@code token-quota-period}: it starts again at the top of the hour, at midnight, on Monday (ISO
 * weeks), on the first of the month, on the first of January.
 */
public enum QuotaPeriod {
    HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY;

    /** The start of the period that holds {@code epochMillis}, in epoch milliseconds. */
    public long startMillis(long epochMillis) {
        ZonedDateTime at = ZonedDateTime.ofInstant(java.time.Instant.ofEpochMilli(epochMillis), ZoneOffset.UTC);
        ZonedDateTime start = switch (this) {
            case HOURLY -> at.truncatedTo(ChronoUnit.HOURS);
            case DAILY -> at.truncatedTo(ChronoUnit.DAYS);
            case WEEKLY -> at.truncatedTo(ChronoUnit.DAYS).with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            case MONTHLY -> LocalDate.of(at.getYear(), at.getMonth(), 1).atStartOfDay(ZoneOffset.UTC);
            case YEARLY -> LocalDate.of(at.getYear(), 1, 1).atStartOfDay(ZoneOffset.UTC);
        };
        return start.toInstant().toEpochMilli();
    }

    /** The end of the period that holds {@code epochMillis} (the start of the next), in epoch milliseconds. */
    public long endMillis(long epochMillis) {
        ZonedDateTime start = ZonedDateTime.ofInstant(java.time.Instant.ofEpochMilli(startMillis(epochMillis)), ZoneOffset.UTC);
        ZonedDateTime end = switch (this) {
            case HOURLY -> start.plusHours(1);
            case DAILY -> start.plusDays(1);
            case WEEKLY -> start.plusWeeks(1);
            case MONTHLY -> start.plusMonths(1);
            case YEARLY -> start.plusYears(1);
        };
        return end.toInstant().toEpochMilli();
    }

    /** As written in configuration and reports: {@code monthly}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
