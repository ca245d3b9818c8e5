package dev.spillway.proxy.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Account state on Redis: each change is published on a channel every replica subscribes to, and
 * also kept in one hash (the latest per backend and deployment), which a replica reads whenever it
 * (re)gains the store, so one that started or lost the store meanwhile catches up. Quota reports of
 * one endpoint are published at most every {@link #REPORT_EVERY_MILLIS}: each response brings one,
 * and a fresher one changes little; 429 blocks always go out.
 */
public final class RedisAccountStates implements AccountStates {

    static final String CHANNEL = "spillway:accounts";
    static final String LATEST = "spillway:accounts:latest";
    static final long REPORT_EVERY_MILLIS = 100;
    /** A quota report older than the token window says nothing any more. */
    private static final long REPORT_LIFETIME_MILLIS = 60_000;

    private final SharedStore store;
    private final InstantSource clock;
    /** A newer replica's extra fields are no reason to drop its message. */
    private final ObjectMapper json = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    /** Tells this replica's own messages apart, which it already applied. */
    private final String origin = UUID.randomUUID().toString();
    private final List<Consumer<AccountState>> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Long> lastReport = new ConcurrentHashMap<>();

    /** A message on the channel: the state and who sent it. */
    record Message(String origin, AccountState state) {}

    public RedisAccountStates(SharedStore store, InstantSource clock) {
        this.store = store;
        this.clock = clock;
        store.subscribe(CHANNEL, this::received);
        store.onRegained(this::catchUp);
    }

    @Override
    public void publish(AccountState state) {
        if (!store.up()) {
            return;
        }
        String endpoint = state.backend() + "/" + state.deployment();
        // Apart, so that a quota report after a block does not hide the block from a replica catching up.
        String field = endpoint + (state.isBlock() ? "#block" : "#quota");
        if (!state.isBlock()) {
            long now = clock.millis();
            Long last = lastReport.get(field);
            if (last != null && now - last < REPORT_EVERY_MILLIS) {
                return;
            }
            lastReport.put(field, now);
        }
        String message;
        try {
            message = json.writeValueAsString(new Message(origin, state));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        store.call(redis -> redis.hset(LATEST, field, message));
        store.publish(CHANNEL, message);
    }

    @Override
    public void onReceived(Consumer<AccountState> listener) {
        listeners.add(listener);
    }

    private void received(String text) {
        Message message = parse(text);
        if (message != null && !origin.equals(message.origin())) {
            deliver(message.state());
        }
    }

    /** What was published while this replica was not listening: blocks still running and fresh reports only. */
    private void catchUp() {
        store.call(redis -> redis.hgetall(LATEST)).thenAccept(all -> {
            long now = clock.millis();
            for (String text : all.values()) {
                Message message = parse(text);
                if (message == null) {
                    continue;
                }
                AccountState state = message.state();
                boolean current = state.isBlock() ? state.blockedUntilMillis() > now : now - state.observedAtMillis() < REPORT_LIFETIME_MILLIS;
                if (current) {
                    deliver(state);
                }
            }
        });
    }

    private void deliver(AccountState state) {
        for (Consumer<AccountState> listener : listeners) {
            listener.accept(state);
        }
    }

    private Message parse(String text) {
        try {
            Message message = json.readValue(text, Message.class);
            return message.state() == null || message.state().backend() == null || message.state().deployment() == null ? null : message;
        } catch (JsonProcessingException e) {
            // Not ours (another program on the channel) or from a newer version: ignored.
            return null;
        }
    }
}
