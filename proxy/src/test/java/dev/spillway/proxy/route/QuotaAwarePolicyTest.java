package dev.spillway.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.config.BackendConfig;
import dev.spillway.proxy.testing.ManualClock;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class QuotaAwarePolicyTest {

    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-27T10:00:00Z"));
    private final Cluster cluster = new Cluster(List.of(backend("a"), backend("b"), backend("c")));
    private final List<Endpoint> chat = cluster.endpoints("chat");
    private final QuotaAwarePolicy policy = new QuotaAwarePolicy(new SplittableRandom(7), clock);

    private static BackendConfig backend(String name) {
        return new BackendConfig(name, URI.create("https://" + name + ".example"), 1, 1, Optional.empty());
    }

    private void observe(Endpoint endpoint, long remainingTokens, long remainingRequests) {
        endpoint.quota().observe(remainingTokens, remainingRequests, 30_000, 30, clock.millis());
    }

    private Map<String, Integer> picks(int times, long cost) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < times; i++) {
            counts.merge(policy.pick(chat, cost).backend().name(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void withoutAnyRateLimitHeadersLoadIsSpreadOverAll() {
        Map<String, Integer> counts = picks(3_000, 100);

        assertThat(counts.values()).allSatisfy(count -> assertThat(count).isBetween(800, 1200));
    }

    @Test
    void endpointsTheRequestWouldNotFitAreAvoidedWhileAnotherFits() {
        observe(chat.get(0), 50, 20);
        observe(chat.get(1), 50, 20);
        observe(chat.get(2), 20_000, 20);

        assertThat(picks(100, 500)).containsOnlyKeys("c");
    }

    @Test
    void endpointWithoutRequestSlotsLeftIsAvoided() {
        observe(chat.get(0), 29_000, 0);
        observe(chat.get(1), 10_000, 5);
        observe(chat.get(2), 10_000, 5);

        assertThat(picks(200, 100)).doesNotContainKey("a");
    }

    @Test
    void roomierEndpointIsPreferredButNotExclusively() {
        observe(chat.get(0), 25_000, 25);
        observe(chat.get(1), 10_000, 25);
        observe(chat.get(2), 5_000, 25);

        Map<String, Integer> counts = picks(3_000, 10);

        // Power of two choices: the roomiest wins every draw it is in (2/3), the middle one 1/3, the tightest never.
        assertThat(counts.get("a")).isBetween(1800, 2200);
        assertThat(counts.get("b")).isBetween(800, 1200);
        assertThat(counts).doesNotContainKey("c");
    }

    @Test
    void tokensSentSinceTheLastObservationCountAgainstTheHeadroom() {
        observe(chat.get(0), 1_000, 25);
        chat.get(0).dispatched(900);

        assertThat(chat.get(0).quota().headroom(clock.millis()).fits(500)).isFalse();
    }

    @Test
    void headroomComesBackWhenTheWindowTurnsNotBefore() {
        observe(chat.get(0), 0, 0);

        clock.advance(Duration.ofSeconds(9));
        assertThat(chat.get(0).quota().headroom(clock.millis()).requests()).isZero();
        clock.advance(Duration.ofSeconds(1));
        assertThat(chat.get(0).quota().headroom(clock.millis()).requests()).isEqualTo(30);
        clock.advance(Duration.ofSeconds(49));
        assertThat(chat.get(0).quota().headroom(clock.millis()).tokens()).isZero();
        clock.advance(Duration.ofSeconds(1));
        assertThat(chat.get(0).quota().headroom(clock.millis()).tokens()).isEqualTo(30_000);
    }

    @Test
    void whenNothingFitsTheRoomiestIsStillTried() {
        observe(chat.get(0), 10, 5);
        observe(chat.get(1), 300, 5);
        observe(chat.get(2), 20, 5);

        assertThat(picks(200, 1_000).get("b")).isGreaterThan(100);
    }
}
