package dev.spillway.proxy.state;

import io.lettuce.core.GetExArgs;
import io.lettuce.core.SetArgs;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Object homes that replicas share: this replica's own memory first, then one key per object in
 * Redis ({@code spillway:home:<id>} = backend). Each home is kept {@link #LIFETIME} after it was last
 * named, as long as Azure keeps a stored response; a file or vector store in use is renewed by each
 * use, and an entry that outlived its object costs nothing, since its account then answers 404.
 * A store that is down or slow makes a miss here a lookup at the accounts, as with one replica.
 */
public final class RedisObjectHomes implements ObjectHomes {

    static final Duration LIFETIME = Duration.ofDays(30);

    private final SharedStore store;
    private final ObjectHomes local;

    public RedisObjectHomes(SharedStore store, ObjectHomes local) {
        this.store = store;
        this.local = local;
    }

    static String key(String objectId) {
        return "spillway:home:" + objectId;
    }

    @Override
    public Optional<String> homeOf(String objectId) {
        return local.homeOf(objectId);
    }

    @Override
    public CompletionStage<Optional<String>> find(String objectId) {
        Optional<String> here = local.homeOf(objectId);
        if (here.isPresent() || !store.up()) {
            return CompletableFuture.completedFuture(here);
        }
        return store.call(redis -> redis.getex(key(objectId), GetExArgs.Builder.ex(LIFETIME)))
                .thenApply(backend -> {
                    if (backend != null) {
                        local.remember(objectId, backend);
                    }
                    return Optional.ofNullable(backend);
                })
                .exceptionally(failure -> Optional.empty());
    }

    @Override
    public void remember(String objectId, String backend) {
        local.remember(objectId, backend);
        if (store.up()) {
            store.call(redis -> redis.set(key(objectId), backend, SetArgs.Builder.ex(LIFETIME)));
        }
    }

    @Override
    public void forget(String objectId) {
        local.forget(objectId);
        if (store.up()) {
            store.call(redis -> redis.del(key(objectId)));
        }
    }

    @Override
    public long size() {
        return local.size();
    }
}
