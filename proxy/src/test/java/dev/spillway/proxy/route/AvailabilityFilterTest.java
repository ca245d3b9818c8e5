package dev.spillway.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.config.BackendConfig;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AvailabilityFilterTest {

    private static final long NOW = 1_000_000;
    private final AvailabilityFilter filter = new AvailabilityFilter(100, true);
    private final Cluster cluster = new Cluster(List.of(backend("a", 1), backend("b", 1), backend("c", 2)));
    private final List<Endpoint> chat = cluster.endpoints("chat");
    private final Endpoint a = chat.get(0);
    private final Endpoint b = chat.get(1);
    private final Endpoint c = chat.get(2);

    private static BackendConfig backend(String name, int priority) {
        return new BackendConfig(name, URI.create("https://" + name + ".openai.azure.com"), priority, 1, Optional.empty());
    }

    private List<Endpoint> candidates(Set<Endpoint> tried) {
        return ((Availability.Candidates) filter.filter(chat, tried, NOW, 100)).endpoints();
    }

    @Test
    void lowestPriorityNumberGroupIsOffered() {
        assertThat(candidates(Set.of())).containsExactly(a, b);
    }

    @Test
    void throttledEndpointIsSkippedUntilItsTimeHasPassed() {
        a.throttleUntil(NOW + 500);

        assertThat(candidates(Set.of())).containsExactly(b);
        assertThat(((Availability.Candidates) filter.filter(chat, Set.of(), NOW + 500, 100)).endpoints()).containsExactly(a, b);
    }

    @Test
    void nextPriorityIsOfferedWhenTheFirstGroupIsThrottledOrTried() {
        a.throttleUntil(NOW + 500);

        assertThat(candidates(Set.of(b))).containsExactly(c);
    }

    @Test
    void throttlingOneDeploymentLeavesTheOthersAlone() {
        a.throttleUntil(NOW + 500);

        assertThat(((Availability.Candidates) filter.filter(cluster.endpoints("embedding"), Set.of(), NOW, 100)).endpoints()).hasSize(2);
    }

    @Test
    void coolingBackendsAreUsedOnlyWhenNothingHealthyIsLeft() {
        a.health().coolUntil(NOW + 5_000);
        b.health().coolUntil(NOW + 5_000);

        assertThat(candidates(Set.of())).containsExactly(c);
        Availability panic = filter.filter(chat, Set.of(c), NOW, 100);
        assertThat(panic).isEqualTo(new Availability.Candidates(List.of(a, b), true));
    }

    @Test
    void whenEverythingIsThrottledTheEarliestFreeMomentIsReported() {
        a.throttleUntil(NOW + 3_000);
        b.throttleUntil(NOW + 1_200);
        c.throttleUntil(NOW + 9_000);

        assertThat(filter.filter(chat, Set.of(), NOW, 100)).isEqualTo(new Availability.Exhausted(NOW + 1_200, false));
    }

    @Test
    void aShorterThrottleNeverShortensALongerOne() {
        a.throttleUntil(NOW + 3_000);
        a.throttleUntil(NOW + 1_000);

        assertThat(a.throttledUntilMillis()).isEqualTo(NOW + 3_000);
    }

    @Test
    void backendAtItsConcurrencyCapIsPassedOver() {
        AvailabilityFilter capped = new AvailabilityFilter(2, true);
        a.dispatched(1);
        cluster.endpoints("embedding").get(0).dispatched(1);

        assertThat(((Availability.Candidates) capped.filter(chat, Set.of(), NOW, 100)).endpoints()).containsExactly(b);
        a.finished();
        assertThat(((Availability.Candidates) capped.filter(chat, Set.of(), NOW, 100)).endpoints()).containsExactly(a, b);
    }

    @Test
    void whenOnlyCapsStandInTheWayTheExhaustionSaysSaturated() {
        AvailabilityFilter capped = new AvailabilityFilter(1, true);
        a.dispatched(1);
        b.dispatched(1);
        c.dispatched(1);

        assertThat(capped.filter(chat, Set.of(), NOW, 100)).isEqualTo(new Availability.Exhausted(NOW, true));
    }

    @Test
    void endpointWhoseReportedQuotaCannotTakeTheRequestIsPassedOverForTheNextPriority() {
        a.quota().observe(50, 10, 30_000, 30, NOW);
        b.quota().observe(20_000, 0, 30_000, 30, NOW);

        assertThat(candidates(Set.of())).containsExactly(c);
    }

    @Test
    void quotaEstimatesAreIgnoredWhenTheFilterIsToldTo() {
        a.quota().observe(50, 10, 30_000, 30, NOW);

        assertThat(((Availability.Candidates) new AvailabilityFilter(100, false).filter(chat, Set.of(), NOW, 100)).endpoints())
                .containsExactly(a, b);
    }

    @Test
    void whenNoEndpointHasRoomTheyAreStillTriedSinceTheirWindowsMayHaveTurned() {
        a.quota().observe(0, 10, 30_000, 30, NOW - 20_000);
        b.quota().observe(10, 0, 30_000, 30, NOW - 4_000);
        c.throttleUntil(NOW + 30_000);

        assertThat(candidates(Set.of())).containsExactly(a, b);
    }

    @Test
    void anEndpointHasRoomOnlyIfItsEstimateFitsNotAsALastResort() {
        a.quota().observe(0, 10, 30_000, 30, NOW - 20_000);
        b.quota().observe(10, 0, 30_000, 30, NOW - 4_000);
        c.throttleUntil(NOW + 30_000);

        assertThat(filter.roomFor(chat, NOW, 100)).as("a and b would be tried, but as a last resort").isFalse();
        assertThat(filter.roomFor(chat, NOW + 30_000, 100)).as("c, free again, has never said what room it has").isFalse();
        c.quota().observe(20_000, 10, 30_000, 30, NOW + 30_000);
        assertThat(filter.roomFor(chat, NOW + 30_000, 100)).as("c, reporting room").isTrue();
    }
}
