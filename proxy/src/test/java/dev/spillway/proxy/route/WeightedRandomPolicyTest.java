package dev.spillway.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.config.BackendConfig;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WeightedRandomPolicyTest {

    @Test
    void backendsArePickedInProportionToTheirWeight() {
        Cluster cluster = new Cluster(List.of(
                new BackendConfig("heavy", URI.create("https://h.example"), 1, 3, Optional.empty()),
                new BackendConfig("light", URI.create("https://l.example"), 1, 1, Optional.empty())));
        List<Endpoint> endpoints = cluster.endpoints("chat");
        WeightedRandomPolicy policy = new WeightedRandomPolicy(new SplittableRandom(42));

        int heavy = 0;
        for (int i = 0; i < 10_000; i++) {
            if (policy.pick(endpoints, 100).backend().name().equals("heavy")) {
                heavy++;
            }
        }

        assertThat(heavy).isBetween(7_200, 7_800);
    }
}
