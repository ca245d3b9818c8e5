package dev.spillway.proxy.state;

import dev.spillway.proxy.testing.RedisServer;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The budget store replicas share keeps the same contract, on a real redis-server: each operation
 * one Lua script, so the 16 threads of the contract's concurrency test race in Redis, not in Java.
 * The manual clock stands in for the server's TIME, which a test cannot move.
 */
class RedisBudgetStoreTest extends BudgetStoreContract {

    private static RedisServer redis;
    private static SharedStore shared;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
        shared = SharedStores.connected(redis);
    }

    @AfterAll
    static void stopRedis() {
        shared.close();
        redis.close();
    }

    @Override
    BudgetStore newStore(InstantSource clock) {
        SharedStores.flush(shared);
        return new RedisBudgetStore(shared, clock);
    }
}
