package dev.spillway.proxy.state;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.Optional;

/**
 * Object homes in this process's memory, bounded in size and age (Caffeine's W-TinyLFU, so a flood
 * of one-off ids cannot push out the ones in use). An entry costs about 150 bytes, so the default
 * 100,000 entries hold at most ~15 MB. Forgetting is safe: a forgotten object is looked up again.
 */
public final class LocalObjectHomes implements ObjectHomes {

    private final Cache<String, String> homes;

    /**
     * @param maxEntries how many objects to remember at most
     * @param maxIdle    how long an object is remembered after it was last named; Azure keeps stored
     *                   responses for 30 days, but a conversation idle for long costs one lookup to resume
     * @param ticker     the clock ages are measured on ({@link Ticker#systemTicker()} outside tests)
     */
    public LocalObjectHomes(long maxEntries, Duration maxIdle, Ticker ticker) {
        this.homes = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .expireAfterAccess(maxIdle)
                .ticker(ticker)
                .executor(Runnable::run)
                .build();
    }

    @Override
    public Optional<String> homeOf(String objectId) {
        return Optional.ofNullable(homes.getIfPresent(objectId));
    }

    @Override
    public void remember(String objectId, String backend) {
        homes.put(objectId, backend);
    }

    @Override
    public void forget(String objectId) {
        homes.invalidate(objectId);
    }

    @Override
    public long size() {
        homes.cleanUp();
        return homes.estimatedSize();
    }
}
