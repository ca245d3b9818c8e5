package dev.spillway.proxy.route;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the headers of a 429 into how long to leave that endpoint alone. Precedence follows what
 * the Azure SDKs honour: {@code retry-after-ms}, then {@code x-ms-retry-after-ms}, then
 * {@code Retry-After} (seconds or an HTTP date), then the larger of
 * {@code x-ratelimit-reset-requests} and {@code x-ratelimit-reset-tokens}, else a default.
 */
public final class ThrottleObserver {

    /** A garbage header must not take a backend out for days. */
    static final Duration LONGEST_BLOCK = Duration.ofHours(1);
    private static final Pattern GO_DURATION = Pattern.compile("^(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+(?:\\.\\d+)?)s)?(?:(\\d+)ms)?$");

    private final Duration fallback;

    public ThrottleObserver(Duration fallback) {
        this.fallback = fallback;
    }

    /**
     * @param header   looks a response header up by name, case-insensitively; null when absent
     * @param nowMillis the current time, for {@code Retry-After} given as a date
     */
    public Duration blockFor(Function<String, String> header, long nowMillis) {
        Optional<Duration> block = millis(header.apply("retry-after-ms"))
                .or(() -> millis(header.apply("x-ms-retry-after-ms")))
                .or(() -> retryAfter(header.apply("retry-after"), nowMillis))
                .or(() -> longest(resetDuration(header.apply("x-ratelimit-reset-requests")),
                        resetDuration(header.apply("x-ratelimit-reset-tokens"))));
        Duration chosen = block.orElse(fallback);
        return chosen.compareTo(LONGEST_BLOCK) > 0 ? LONGEST_BLOCK : chosen;
    }

    private static Optional<Duration> millis(String value) {
        if (value == null) {
            return Optional.empty();
        }
        try {
            double parsed = Double.parseDouble(value.trim());
            return parsed >= 0 && Double.isFinite(parsed) ? Optional.of(Duration.ofMillis((long) Math.ceil(parsed))) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Duration> retryAfter(String value, long nowMillis) {
        if (value == null) {
            return Optional.empty();
        }
        Optional<Duration> seconds = seconds(value);
        if (seconds.isPresent()) {
            return seconds;
        }
        try {
            long at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
            return Optional.of(Duration.ofMillis(Math.max(0, at - nowMillis)));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** Azure sends whole or fractional seconds; OpenAI-style servers send durations such as {@code 1m30s} or {@code 250ms}. */
    private static Optional<Duration> resetDuration(String value) {
        if (value == null) {
            return Optional.empty();
        }
        Optional<Duration> seconds = seconds(value);
        if (seconds.isPresent()) {
            return seconds;
        }
        Matcher matcher = GO_DURATION.matcher(value.trim());
        if (!matcher.matches() || value.isBlank()) {
            return Optional.empty();
        }
        long millis = 0;
        if (matcher.group(1) != null) millis += Long.parseLong(matcher.group(1)) * 3_600_000;
        if (matcher.group(2) != null) millis += Long.parseLong(matcher.group(2)) * 60_000;
        if (matcher.group(3) != null) millis += (long) Math.ceil(Double.parseDouble(matcher.group(3)) * 1000);
        if (matcher.group(4) != null) millis += Long.parseLong(matcher.group(4));
        return Optional.of(Duration.ofMillis(millis));
    }

    private static Optional<Duration> seconds(String value) {
        try {
            double parsed = Double.parseDouble(value.trim());
            return parsed >= 0 && Double.isFinite(parsed) ? Optional.of(Duration.ofMillis((long) Math.ceil(parsed * 1000))) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Duration> longest(Optional<Duration> a, Optional<Duration> b) {
        if (a.isPresent() && b.isPresent()) {
            return Optional.of(a.get().compareTo(b.get()) >= 0 ? a.get() : b.get());
        }
        return a.isPresent() ? a : b;
    }
}
