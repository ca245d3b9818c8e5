package dev.spillway.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ThrottleObserverTest {

    private static final long NOW = Instant.parse("2026-11-27T10:00:00Z").toEpochMilli();
    /** Deliberately not the production value (10 s, pinned over HTTP in ThrottlingTest): this test only needs to recognise it. */
    private static final Duration NO_HINT = Duration.ofMinutes(7);
    private final ThrottleObserver observer = new ThrottleObserver(NO_HINT);

    private Duration blockFor(String... headers) {
        Map<String, String> map = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < headers.length; i += 2) {
            map.put(headers[i], headers[i + 1]);
        }
        return observer.blockFor(map::get, NOW);
    }

    @Test
    void retryAfterMsWinsOverEveryOtherHeader() {
        assertThat(blockFor("retry-after-ms", "1500", "Retry-After", "20", "x-ratelimit-reset-tokens", "30"))
                .isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void msRetryAfterMsIsReadWhenRetryAfterMsIsAbsent() {
        assertThat(blockFor("x-ms-retry-after-ms", "700", "Retry-After", "20")).isEqualTo(Duration.ofMillis(700));
    }

    @Test
    void retryAfterInSecondsIsRead() {
        assertThat(blockFor("Retry-After", "7")).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void retryAfterAsAnHttpDateIsRead() {
        String in12Seconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.ofEpochMilli(NOW + 12_000).atZone(ZoneOffset.UTC));
        assertThat(blockFor("Retry-After", in12Seconds)).isEqualTo(Duration.ofSeconds(12));
    }

    @Test
    void rateLimitResetHeadersAreTheLastResortAndTheLongerOneCounts() {
        assertThat(blockFor("x-ratelimit-reset-requests", "3", "x-ratelimit-reset-tokens", "8")).isEqualTo(Duration.ofSeconds(8));
        assertThat(blockFor("x-ratelimit-reset-tokens", "1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(blockFor("x-ratelimit-reset-requests", "250ms")).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void withoutAnyHintTheFallbackIsUsed() {
        assertThat(blockFor()).isEqualTo(NO_HINT);
    }

    @Test
    void unreadableValuesFallThroughToTheNextHeader() {
        assertThat(blockFor("retry-after-ms", "soon", "Retry-After", "-3", "x-ratelimit-reset-tokens", "4")).isEqualTo(Duration.ofSeconds(4));
    }

    @Test
    void absurdlyLongBlocksAreCappedAtAnHour() {
        assertThat(blockFor("Retry-After", "99999999")).isEqualTo(Duration.ofHours(1));
    }
}
