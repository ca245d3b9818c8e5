package dev.spillway.proxy.state;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LocalObjectHomesTest {

    private final AtomicLong nanos = new AtomicLong();
    private final Ticker ticker = nanos::get;

    @Test
    void remembersWhereAnObjectLives() {
        LocalObjectHomes homes = new LocalObjectHomes(10, Duration.ofHours(1), ticker);

        homes.remember("resp_1", "openai2");

        assertThat(homes.homeOf("resp_1")).hasValue("openai2");
        assertThat(homes.homeOf("resp_2")).isEmpty();
    }

    @Test
    void forgetsAnObjectNotNamedForLongerThanTheIdleLimit() {
        LocalObjectHomes homes = new LocalObjectHomes(10, Duration.ofHours(1), ticker);
        homes.remember("resp_1", "openai2");

        nanos.addAndGet(Duration.ofMinutes(59).toNanos());
        assertThat(homes.homeOf("resp_1")).hasValue("openai2");
        nanos.addAndGet(Duration.ofMinutes(59).toNanos());
        assertThat(homes.homeOf("resp_1")).as("named 59 minutes ago, so still remembered").hasValue("openai2");
        nanos.addAndGet(Duration.ofMinutes(61).toNanos());
        assertThat(homes.homeOf("resp_1")).isEmpty();
    }

    @Test
    void holdsNoMoreThanItsSizeLimit() {
        LocalObjectHomes homes = new LocalObjectHomes(100, Duration.ofHours(1), ticker);

        for (int i = 0; i < 10_000; i++) {
            homes.remember("file-" + i, "openai1");
        }

        assertThat(homes.size()).isLessThanOrEqualTo(100);
    }

    @Test
    void aDeletedObjectIsForgotten() {
        LocalObjectHomes homes = new LocalObjectHomes(10, Duration.ofHours(1), ticker);
        homes.remember("file-1", "openai1");

        homes.forget("file-1");

        assertThat(homes.homeOf("file-1")).isEmpty();
    }
}
