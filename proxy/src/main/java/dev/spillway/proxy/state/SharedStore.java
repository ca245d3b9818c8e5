package dev.spillway.proxy.state;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import dev.spillway.proxy.config.StateConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection to the Redis database that replicas share, and whether it is usable now. Every
 * call has a short deadline; a call that fails or misses it marks the store down, and then callers
 * are told at once (no call is made) until a background ping, once a second, finds it again. So a
 * store that vanished costs each request nothing but the check, and the replica goes on with its
 * own state. One log line when the store is lost, one when it is back.
 */
public final class SharedStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SharedStore.class);
    private static final Duration PING_EVERY = Duration.ofSeconds(1);

    private final StateConfig config;
    private final RedisURI uri;
    private final RedisClient client;
    private final Duration deadline;
    private final Executor callbacks;
    private final ScheduledExecutorService timer;
    private final AtomicBoolean up = new AtomicBoolean();
    private final AtomicBoolean everUp = new AtomicBoolean();
    private final List<Runnable> onRegained = new CopyOnWriteArrayList<>();
    private final Map<String, Consumer<String>> channels = new ConcurrentHashMap<>();
    private final AtomicBoolean connecting = new AtomicBoolean();
    private final AtomicBoolean loggedUnreachable = new AtomicBoolean();
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;
    private volatile boolean closed;

    /**
     * @param credentials where sign-in comes from (Entra tokens, renewed), or null for the URL's password if any
     * @param deadline    how long any call may take before the store counts as down
     * @param callbacks   where a call's result is handed on: the proxy's own pool, never Lettuce's event loop
     */
    public SharedStore(StateConfig config, RedisCredentialsProvider credentials, Duration deadline, Executor callbacks) {
        this.config = config;
        this.callbacks = callbacks;
        this.deadline = deadline;
        RedisURI.Builder address = RedisURI.builder().withHost(config.host()).withPort(config.port()).withSsl(config.tls())
                // The handshake (HELLO, AUTH, CLIENT SETNAME) of a cold process takes longer than a command's deadline.
                .withDatabase(config.database()).withTimeout(Duration.ofSeconds(2)).withClientName("spillway");
        if (credentials != null) {
            address.withAuthentication(credentials);
        } else if (config.password().isPresent()) {
            if (config.user().isPresent()) {
                address.withAuthentication(config.user().get(), config.password().get());
            } else {
                address.withPassword(config.password().get());
            }
        }
        ClientResources resources = ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                // Back within the promised 5 s of the store's return, without hammering a store that is down.
                .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
        this.uri = address.build();
        this.client = RedisClient.create(resources, this.uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                // Queued commands would wait for a reconnect far past any deadline; fail them, and count locally.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .reauthenticateBehavior(ClientOptions.ReauthenticateBehavior.ON_NEW_CREDENTIALS)
                .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).keepAlive(true).build())
                .timeoutOptions(TimeoutOptions.enabled(deadline))
                .build());
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "spillway-state");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Connects in the background (start-up never waits for the store) and keeps checking it. */
    public SharedStore start() {
        timer.scheduleWithFixedDelay(this::check, 0, PING_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** Whether calls go to the store now; false until the first connection and while it is lost. */
    public boolean up() {
        return up.get();
    }

    public String address() {
        return config.address();
    }

    /**
     * Loads the scripts whenever the store is reached, so that a request's first call is one round
     * trip (EVALSHA) rather than two (NOSCRIPT, then EVAL) under its deadline.
     */
    public void preload(Script... scripts) {
        onRegained(() -> {
            for (Script script : scripts) {
                call(redis -> redis.scriptLoad(script.text()));
            }
        });
    }

    /** Runs whenever the store is reached after being lost (and on the first connection), off the request path. */
    public void onRegained(Runnable action) {
        onRegained.add(action);
    }

    /**
     * Runs a command under the deadline. Fails at once, without a call, while the store is down; a
     * failure or a missed deadline marks it down.
     */
    public <T> CompletionStage<T> call(Function<RedisAsyncCommands<String, String>, RedisFuture<T>> command) {
        StatefulRedisConnection<String, String> current = connection;
        if (!up.get() || current == null) {
            return CompletableFuture.failedFuture(new StoreUnavailableException("the shared state store is down"));
        }
        CompletableFuture<T> result;
        try {
            result = command.apply(current.async()).toCompletableFuture();
        } catch (RuntimeException e) {
            lost(e);
            return CompletableFuture.failedFuture(e);
        }
        return result.orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS).whenCompleteAsync((value, failure) -> {
            // A script's own error (a bug, not an outage) leaves the store up.
            if (failure != null && !(unwrap(failure) instanceof io.lettuce.core.RedisCommandExecutionException)) {
                lost(failure);
            }
        }, callbacks);
    }

    /** Runs a script by its digest, sending its text only when the server does not have it yet (after a restart or a flush). */
    public <T> CompletionStage<T> eval(Script script, String[] keys, String... args) {
        return this.<T>call(redis -> redis.evalsha(script.sha(), script.output(), keys, args)).exceptionallyCompose(failure -> {
            if (unwrap(failure) instanceof RedisNoScriptException) {
                return call(redis -> redis.eval(script.text(), script.output(), keys, args));
            }
            return CompletableFuture.failedFuture(failure);
        });
    }

    /** Sends a message to every replica that subscribed to the channel (itself included); lost quietly while the store is down. */
    public void publish(String channel, String message) {
        call(redis -> redis.publish(channel, message));
    }

    /** Messages on the channel go to {@code listener}, on Lettuce's thread; resubscribed after every reconnect. */
    public void subscribe(String channel, Consumer<String> listener) {
        channels.put(channel, listener);
        StatefulRedisPubSubConnection<String, String> current = pubSub;
        if (current != null) {
            current.async().subscribe(channel);
        }
    }

    /** A Lua script with the digest Redis knows it by. */
    public record Script(String text, String sha, ScriptOutputType output) {
        public static Script of(String text, ScriptOutputType output) {
            return new Script(text, sha1(text), output);
        }

        private static String sha1(String text) {
            try {
                byte[] digest = java.security.MessageDigest.getInstance("SHA-1").digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                return java.util.HexFormat.of().formatHex(digest);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The store is down, so nothing was asked of it. */
    public static final class StoreUnavailableException extends RuntimeException {
        StoreUnavailableException(String message) {
            super(message, null, false, false);
        }
    }

    private void check() {
        if (closed) {
            return;
        }
        StatefulRedisConnection<String, String> current = connection;
        if (current == null) {
            connect();
            return;
        }
        current.async().ping().toCompletableFuture().orTimeout(deadline.toMillis() * 4, TimeUnit.MILLISECONDS).whenComplete((pong, failure) -> {
            if (failure == null) {
                regained();
            } else {
                lost(failure);
            }
        });
    }

    private void connect() {
        if (!connecting.compareAndSet(false, true)) {
            return;
        }
        client.connectAsync(StringCodec.UTF8, uri).toCompletableFuture()
                .thenCompose(main -> client.connectPubSubAsync(StringCodec.UTF8, uri).toCompletableFuture().thenApply(sub -> {
                    sub.addListener(new RedisPubSubAdapter<>() {
                        @Override
                        public void message(String channel, String message) {
                            Consumer<String> listener = channels.get(channel);
                            if (listener != null) {
                                listener.accept(message);
                            }
                        }
                    });
                    if (!channels.isEmpty()) {
                        sub.async().subscribe(channels.keySet().toArray(String[]::new));
                    }
                    pubSub = sub;
                    connection = main;
                    return main;
                }))
                .whenComplete((main, failure) -> {
                    connecting.set(false);
                    if (failure == null) {
                        regained();
                    } else {
                        lost(failure);
                    }
                });
    }

    private void regained() {
        if (closed || !up.compareAndSet(false, true)) {
            return;
        }
        if (everUp.getAndSet(true)) {
            LOG.warn("shared state store {} is back: budgets, account state and object homes are shared again", config.address());
        } else {
            LOG.info("shared state store {} connected", config.address());
        }
        timer.execute(() -> onRegained.forEach(Runnable::run));
    }

    private void lost(Throwable failure) {
        if (closed) {
            return;
        }
        boolean wasUp = up.getAndSet(false);
        // Until the first connection, one line says the store cannot be reached, not one per retry.
        boolean first = !everUp.get() && !loggedUnreachable.getAndSet(true);
        if (wasUp || first) {
            Throwable cause = unwrap(failure);
            LOG.warn("shared state store {} {}: {}; this replica counts budgets and keeps account state on its own until it is back",
                    config.address(), wasUp ? "lost" : "not reachable", cause == null ? "unknown" : cause.getClass().getSimpleName()
                            + (cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")"));
        }
    }

    private static Throwable unwrap(Throwable failure) {
        while ((failure instanceof java.util.concurrent.CompletionException || failure instanceof java.util.concurrent.ExecutionException)
                && failure.getCause() != null) {
            failure = failure.getCause();
        }
        return failure;
    }

    @Override
    public void close() {
        closed = true;
        up.set(false);
        timer.shutdownNow();
        StatefulRedisConnection<String, String> current = connection;
        if (current != null) {
            current.closeAsync();
        }
        StatefulRedisPubSubConnection<String, String> sub = pubSub;
        if (sub != null) {
            sub.closeAsync();
        }
        client.shutdownAsync(0, 1, TimeUnit.SECONDS);
    }
}
