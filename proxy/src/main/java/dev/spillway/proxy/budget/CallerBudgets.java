package dev.spillway.proxy.budget;

import dev.spillway.proxy.observe.ProxyMetrics;
import dev.spillway.proxy.route.ReplayPolicy;
import dev.spillway.proxy.state.BudgetStore;
import dev.spillway.proxy.state.Reservation;
import io.micrometer.core.instrument.Counter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Each named caller's token budget, applied at admission: a request that makes tokens reserves its
 * estimate against the caller's 60 s window and period quota (one store call), or is refused before
 * any account is called; its {@link Charge} settles the real usage when the answer ends. Callers
 * without a name or without limits cost no store call.
 */
public final class CallerBudgets {

    /**
     * The calls whose answers report token usage (chat completions, completions, embeddings,
     * Responses): only these are charged. Audio and images report none and are not counted.
     */
    private static final Set<String> TOKEN_CALLS = Set.of("chat/completions", "completions", "embeddings",
            "extensions/chat/completions", "responses");

    private final Map<String, Entry> callers = new LinkedHashMap<>();
    private final BudgetStore store;

    public CallerBudgets(List<Caller> callers, BudgetStore store, ProxyMetrics metrics) {
        this.store = store;
        for (Caller caller : callers) {
            this.callers.put(caller.name(), new Entry(caller, metrics));
        }
    }

    /** Whether the request makes tokens its caller is charged for. */
    public static boolean chargesTokens(String method, List<String> segments) {
        String operation = ReplayPolicy.operation(segments);
        return "POST".equalsIgnoreCase(method) && operation != null && TOKEN_CALLS.contains(operation);
    }

    /**
     * @param caller         the caller's name as auth found it, or null
     * @param chargesTokens  from {@link #chargesTokens}: other calls are admitted whatever the budget, and only report it
     * @param estimate       the request's estimated tokens (prompt and the most it may generate)
     */
    public CompletionStage<Admission> admit(String caller, boolean chargesTokens, long estimate) {
        Entry entry = caller == null ? null : callers.get(caller);
        if (entry == null) {
            return CompletableFuture.completedFuture(new Admission.Admitted(Charge.NONE, null, -1, -1));
        }
        if (!entry.caller.limits().any()) {
            return CompletableFuture.completedFuture(new Admission.Admitted(chargesTokens ? new Charge(entry, null, store) : Charge.NONE,
                    caller, -1, -1));
        }
        if (!chargesTokens) {
            return store.use(caller, entry.caller.limits()).thenApply(use -> new Admission.Admitted(Charge.NONE, caller,
                    entry.caller.limits().limitsMinute() ? Math.max(0, entry.caller.limits().perMinute() - use.minuteUsed()) : -1,
                    entry.caller.limits().limitsQuota() ? Math.max(0, entry.caller.limits().quota() - use.quotaUsed()) : -1));
        }
        return store.reserve(caller, entry.caller.limits(), estimate).thenApply(reservation -> switch (reservation) {
            case Reservation.Admitted admitted -> new Admission.Admitted(new Charge(entry, admitted, store), caller,
                    admitted.remainingMinute(), admitted.remainingQuota());
            case Reservation.OverMinute over -> {
                entry.minuteRejections.increment();
                yield new Admission.Refused(caller, over);
            }
            case Reservation.OverQuota over -> {
                entry.quotaRejections.increment();
                yield new Admission.Refused(caller, over);
            }
        });
    }

    /** Each caller, in configuration order, with what it has used: for {@code GET /callers}. */
    public CompletionStage<List<CallerUse>> report() {
        List<CompletableFuture<CallerUse>> uses = callers.values().stream().map(entry -> store.use(entry.caller.name(), entry.caller.limits())
                .thenApply(use -> new CallerUse(entry.caller, use, (long) entry.promptTokens.count(), (long) entry.completionTokens.count(),
                        (long) entry.minuteRejections.count(), (long) entry.quotaRejections.count()))
                .toCompletableFuture()).toList();
        return CompletableFuture.allOf(uses.toArray(CompletableFuture[]::new)).thenApply(done -> uses.stream().map(CompletableFuture::join).toList());
    }

    /**
     * @param promptTokens, completionTokens what this process counted from reported usage since it started
     */
    public record CallerUse(Caller caller, BudgetStore.BudgetUse use, long promptTokens, long completionTokens, long minuteRejections,
                            long quotaRejections) {}

    /** A caller with its meters, resolved once. */
    static final class Entry {
        final Caller caller;
        final Counter promptTokens;
        final Counter completionTokens;
        final Counter minuteRejections;
        final Counter quotaRejections;

        Entry(Caller caller, ProxyMetrics metrics) {
            this.caller = caller;
            this.promptTokens = metrics.callerTokens(caller.name(), "prompt");
            this.completionTokens = metrics.callerTokens(caller.name(), "completion");
            this.minuteRejections = metrics.callerRejections(caller.name(), "minute");
            this.quotaRejections = metrics.callerRejections(caller.name(), "quota");
        }

        void counted(long prompt, long completion) {
            promptTokens.increment(prompt);
            completionTokens.increment(completion);
        }
    }
}
