package dev.spillway.proxy.state;

import io.lettuce.core.ScriptOutputType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The budget store that replicas share: each operation is one Lua script, run atomically by Redis
 * on its own clock ({@code TIME}), so replicas with skewed clocks agree and no two admissions can
 * both take the last room. A caller's two keys carry the same hash tag, so a clustered database
 * puts them in one slot. The arithmetic is {@link LocalBudgetStore}'s, slot for slot.
 */
public final class RedisBudgetStore implements BudgetStore {

    static final SharedStore.Script RESERVE = script("budget-reserve.lua");
    static final SharedStore.Script SETTLE = script("budget-settle.lua");
    static final SharedStore.Script USE = script("budget-use.lua");

    private final SharedStore store;
    private final InstantSource testClock;

    public RedisBudgetStore(SharedStore store) {
        this(store, null);
    }

    /** @param testClock counts on this clock instead of the server's, for tests of the window's and periods' edges */
    RedisBudgetStore(SharedStore store, InstantSource testClock) {
        this.store = store;
        this.testClock = testClock;
        store.preload(RESERVE, SETTLE, USE);
    }

    /** The caller's window and period counter, in one hash slot: {@code spillway:{caller:team-a}:minute}. */
    static String[] keys(String caller) {
        String tag = "spillway:{caller:" + caller + "}:";
        return new String[] {tag + "minute", tag + "quota"};
    }

    @Override
    public CompletionStage<Reservation> reserve(String caller, TokenLimits limits, long tokens) {
        return store.<List<Object>>eval(RESERVE, keys(caller), Long.toString(tokens), Long.toString(limits.perMinute()),
                Long.toString(limits.quota()), period(limits), now()).thenApply(reply -> reservation(caller, limits, tokens, reply));
    }

    @Override
    public CompletionStage<Void> settle(Reservation.Admitted reservation, long usedTokens) {
        return store.<Object>eval(SETTLE, keys(reservation.caller()), Long.toString(reservation.windowSecond()),
                Long.toString(reservation.periodStartMillis()), Long.toString(usedTokens - reservation.tokens()), now())
                .thenApply(ignored -> null);
    }

    @Override
    public CompletionStage<BudgetUse> use(String caller, TokenLimits limits) {
        return store.<List<Object>>eval(USE, keys(caller), Long.toString(limits.quota()), period(limits), now())
                .thenApply(reply -> new BudgetUse(number(reply, 0), number(reply, 1), number(reply, 2), number(reply, 3)));
    }

    private static Reservation reservation(String caller, TokenLimits limits, long tokens, List<Object> reply) {
        String verdict = String.valueOf(reply.get(0));
        return switch (verdict) {
            case "ok" -> {
                long minuteUsed = number(reply, 3);
                long quotaUsed = number(reply, 4);
                yield new Reservation.Admitted(caller, tokens, number(reply, 1), limits.limitsQuota() ? number(reply, 2) : -1,
                        limits.limitsMinute() ? Math.max(0, limits.perMinute() - minuteUsed - tokens) : -1,
                        limits.limitsQuota() ? Math.max(0, limits.quota() - quotaUsed - tokens) : -1,
                        limits.limitsQuota() ? number(reply, 5) : -1, number(reply, 6), true);
            }
            case "minute" -> {
                long quotaUsed = number(reply, 4);
                yield new Reservation.OverMinute(limits.perMinute(), number(reply, 1), tokens, number(reply, 2), number(reply, 3) == 1,
                        limits.limitsQuota() ? Math.max(0, limits.quota() - quotaUsed) : -1, number(reply, 5), number(reply, 6));
            }
            case "quota" -> {
                long minuteUsed = number(reply, 3);
                yield new Reservation.OverQuota(limits.quota(), number(reply, 1), limits.period(), number(reply, 2),
                        limits.limitsMinute() ? Math.max(0, limits.perMinute() - minuteUsed) : -1, number(reply, 4));
            }
            default -> throw new IllegalStateException("the budget script answered '" + verdict + "'");
        };
    }

    /** The scripts read the server's {@code TIME} when given no time. */
    private String now() {
        return testClock == null ? "" : Long.toString(testClock.millis());
    }

    private static String period(TokenLimits limits) {
        return limits.period() == null ? "" : limits.period().name();
    }

    private static long number(List<Object> reply, int index) {
        Object value = reply.get(index);
        return value instanceof Long l ? l : Long.parseLong(String.valueOf(value));
    }

    private static SharedStore.Script script(String name) {
        return SharedStore.Script.of(resource("budget-common.lua") + "\n" + resource(name), ScriptOutputType.MULTI);
    }

    private static String resource(String name) {
        try (InputStream in = RedisBudgetStore.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
