package dev.spillway.proxy.state;

import dev.spillway.proxy.config.ProxyConfigReader;
import dev.spillway.proxy.config.StateConfig;
import dev.spillway.proxy.testing.RedisServer;
import java.time.Duration;
import java.util.Map;

/** Shared stores on a test's redis-server, connected before the test goes on. */
final class SharedStores {

    private SharedStores() {}

    static SharedStore connected(RedisServer redis) {
        StateConfig config = new ProxyConfigReader().read(Map.of("SPILLWAY_BACKENDS", "[{\"url\":\"http://127.0.0.1:1\"}]",
                "SPILLWAY_AUTH", "none", "SPILLWAY_STATE", redis.url())).state().orElseThrow();
        SharedStore store = new SharedStore(config, null, Duration.ofMillis(500), java.util.concurrent.ForkJoinPool.commonPool()).start();
        awaitUp(store);
        return store;
    }

    static void awaitUp(SharedStore store) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!store.up()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the shared store did not connect to " + store.address());
            }
            sleep(10);
        }
    }

    static void flush(SharedStore store) {
        store.call(redis -> redis.flushdb()).toCompletableFuture().join();
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
