package dev.spillway.proxy.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.proxy.config.StateConfig;
import dev.spillway.proxy.testing.RedisServer;
import io.lettuce.authx.TokenBasedRedisCredentialsProvider;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import redis.clients.authentication.core.IdentityProvider;
import redis.clients.authentication.core.SimpleToken;
import redis.clients.authentication.core.TokenManager;
import redis.clients.authentication.core.TokenManagerConfig;

/** The connection to the shared store, against a real redis-server: sign-in, outages, deadlines, scripts. */
class SharedStoreTest {

    private static StateConfig at(RedisServer redis) {
        return new StateConfig("127.0.0.1", redis.port(), false, 0, Optional.empty(), Optional.empty(), StateConfig.Authentication.URL);
    }

    private static void await(String what, Duration within, BooleanSupplier condition) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited for " + what).isLessThan(deadline);
            SharedStores.sleep(20);
        }
    }

    /** An admin connection of the test's own, beside the store under test. */
    private static StatefulRedisConnection<String, String> admin(RedisServer redis, String user, String password) {
        return RedisClient.create("redis://" + user + ":" + password + "@127.0.0.1:" + redis.port()).connect();
    }

    @Test
    void entraTokensAreRenewedBeforeTheyExpireAndTheLiveConnectionSignsInAgainWithTheNewOne() {
        // Two ACL users stand for the tokens' two identities; the stub credential moves from one to the next.
        try (RedisServer redis = RedisServer.start("--user", "default", "off",
                "--user", "admin", "on", ">admin-pw", "~*", "&*", "+@all",
                "--user", "identity-1", "on", ">token-1", "~*", "&*", "+@all",
                "--user", "identity-2", "on", ">token-2", "~*", "&*", "+@all")) {
            AtomicInteger issued = new AtomicInteger();
            IdentityProvider stub = () -> {
                int n = Math.min(2, issued.incrementAndGet());
                long now = System.currentTimeMillis();
                return new SimpleToken("identity-" + n, "token-" + n, now + 3_000, now, Map.of());
            };
            TokenManager tokens = new TokenManager(stub, new TokenManagerConfig(0.5f, 100, 1_000, new TokenManagerConfig.RetryPolicy(3, 50)));
            SharedStore store = new SharedStore(at(redis), TokenBasedRedisCredentialsProvider.create(tokens), Duration.ofMillis(500),
                    ForkJoinPool.commonPool()).start();
            try (StatefulRedisConnection<String, String> admin = admin(redis, "admin", "admin-pw")) {
                SharedStores.awaitUp(store);
                String firstId = clientOf(admin.sync().clientList(), "identity-1");
                assertThat(firstId).as("signed in with the first token").isNotNull();

                await("the renewed token's sign-in", Duration.ofSeconds(5), () -> clientOf(admin.sync().clientList(), "identity-2") != null);

                assertThat(clientOf(admin.sync().clientList(), "identity-2")).as("the same connection, not a new one").isEqualTo(firstId);
                assertThat(store.call(redis1 -> redis1.ping()).toCompletableFuture().join()).isEqualTo("PONG");
            } finally {
                store.close();
            }
        }
    }

    /** The id of the main client (not the pub/sub one) signed in as this user, or null. */
    private static String clientOf(String clientList, String user) {
        for (String line : clientList.split("\n")) {
            if (line.contains(" user=" + user + " ") && line.contains(" sub=0 ") && line.contains(" name=spillway ")) {
                return line.substring(3, line.indexOf(' '));
            }
        }
        return null;
    }

    @Test
    void aStoreNotThereAtStartUpDelaysNothingAndIsUsedOnceItAppears() {
        try (RedisServer redis = RedisServer.start()) {
            redis.kill();
            SharedStore store = new SharedStore(at(redis), null, Duration.ofMillis(50), ForkJoinPool.commonPool());
            long started = System.nanoTime();
            store.start();
            try {
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(200));
                assertThat(store.up()).isFalse();
                assertThatThrownBy(() -> store.call(r -> r.ping()).toCompletableFuture().join())
                        .hasCauseInstanceOf(SharedStore.StoreUnavailableException.class);

                redis.startAgain();

                await("the store to be found", Duration.ofSeconds(5), store::up);
            } finally {
                store.close();
            }
        }
    }

    @Test
    void aCallPastItsDeadlineFailsInTimeAndMarksTheStoreDownUntilItAnswersAgain() {
        try (RedisServer redis = RedisServer.start()) {
            SharedStore store = SharedStores.connected(redis);
            try (StatefulRedisConnection<String, String> admin = RedisClient.create(redis.url()).connect()) {
                // A script that keeps the server busy for 1.5 s: every other client waits behind it.
                admin.async().eval("local t = redis.call('TIME') local stop = tonumber(t[1]) + 1.5 + tonumber(t[2]) / 1e6 "
                        + "repeat t = redis.call('TIME') until tonumber(t[1]) + tonumber(t[2]) / 1e6 >= stop return 1", ScriptOutputType.INTEGER);
                SharedStores.sleep(50);
                long started = System.nanoTime();

                assertThatThrownBy(() -> store.call(r -> r.get("k")).toCompletableFuture().join()).isInstanceOf(CompletionException.class);

                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(1_200));
                assertThat(store.up()).isFalse();
                await("the store to answer again", Duration.ofSeconds(5), store::up);
            } finally {
                store.close();
            }
        }
    }

    @Test
    void aScriptTheServerForgotIsSentAgainByItsText() {
        try (RedisServer redis = RedisServer.start()) {
            SharedStore store = SharedStores.connected(redis);
            try {
                SharedStore.Script script = SharedStore.Script.of("return {ARGV[1]}", ScriptOutputType.MULTI);
                assertThat(store.<List<Object>>eval(script, new String[0], "one").toCompletableFuture().join()).containsExactly("one");

                store.call(r -> r.scriptFlush()).toCompletableFuture().join();

                assertThat(store.<List<Object>>eval(script, new String[0], "two").toCompletableFuture().join()).containsExactly("two");
                assertThat(store.up()).isTrue();
            } finally {
                store.close();
            }
        }
    }
}
