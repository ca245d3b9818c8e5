package dev.spillway.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.config.BackendConfig;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The per-backend cap under contention. A race on an in-memory counter is not something loopback
 * HTTP can provoke reliably, so this drives the router from many threads at once.
 */
class ConcurrencyCapTest {

    @Test
    void requestsRacingForTheLastSlotOfABackendNeverBothGetIt() throws Exception {
        BackendConfig only = new BackendConfig("a", URI.create("https://a.openai.azure.com"), 1, 1, Optional.empty());
        Router router = new Router(new Cluster(List.of(only)), new AvailabilityFilter(1, false), new RoundRobinPolicy(),
                new ThrottleObserver(Duration.ofSeconds(10)), new OutlierDetection(Duration.ofSeconds(5)), InstantSource.system());
        int threads = 8;
        int rounds = 20_000;
        CyclicBarrier start = new CyclicBarrier(threads);
        AtomicInteger holding = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < rounds; i++) {
                    if (router.next("chat", Set.of(), 1) instanceof RouteDecision.Attempt attempt) {
                        mostAtOnce.accumulateAndGet(holding.incrementAndGet(), Math::max);
                        holding.decrementAndGet();
                        router.finished(attempt.endpoint());
                    }
                }
            }));
        }
        for (Thread worker : workers) {
            worker.join();
        }

        assertThat(mostAtOnce.get()).as("attempts in flight at once with a cap of 1").isEqualTo(1);
    }
}
