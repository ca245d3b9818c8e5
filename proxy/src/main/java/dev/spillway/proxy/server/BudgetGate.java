package dev.spillway.proxy.server;

import dev.spillway.proxy.budget.Admission;
import dev.spillway.proxy.state.Reservation;
import java.time.Instant;
import org.eclipse.jetty.http.HttpFields;

/**
 * How a caller's budget shows on the wire: the headers on every answer to a named caller, and the
 * answers to one over a limit, Azure-shaped so that the official SDKs act on them (they retry a
 * 429 after its {@code retry-after-ms} and do not retry a 403 or an answer saying
 * {@code x-should-retry: false}).
 */
final class BudgetGate {

    static final String CALLER_HEADER = "x-spillway-caller";
    static final String REMAINING_TOKENS_HEADER = "x-spillway-remaining-tokens";
    static final String REMAINING_QUOTA_HEADER = "x-spillway-remaining-quota-tokens";

    private BudgetGate() {}

    /** Put on the client's response before anything is written, so that every answer to the caller carries them. */
    static void addHeaders(HttpFields.Mutable headers, Admission.Admitted admitted) {
        if (admitted.caller() == null) {
            return;
        }
        headers.put(CALLER_HEADER, admitted.caller());
        if (admitted.remainingMinute() >= 0) {
            headers.put(REMAINING_TOKENS_HEADER, Long.toString(admitted.remainingMinute()));
        }
        if (admitted.remainingQuota() >= 0) {
            headers.put(REMAINING_QUOTA_HEADER, Long.toString(admitted.remainingQuota()));
        }
    }

    static ErrorAnswer refusal(Admission.Refused refused) {
        String caller = refused.caller();
        return switch (refused.refusal()) {
            case Reservation.OverMinute over -> overMinute(caller, over);
            case Reservation.OverQuota over -> overQuota(caller, over);
            case Reservation.Admitted admitted -> throw new IllegalArgumentException("an admitted reservation is no refusal");
        };
    }

    private static ErrorAnswer overMinute(String caller, Reservation.OverMinute over) {
        ErrorAnswer answer;
        if (over.neverFits()) {
            answer = ErrorAnswer.of(429, "caller_tokens_per_minute_exceeded", "This request is estimated at " + over.tokens()
                    + " tokens (prompt plus max_tokens, max_completion_tokens or max_output_tokens, 4096 when none is set), more than "
                    + "caller '" + caller + "' may use in a minute (" + over.limit() + "), so it can never be admitted: set a lower "
                    + "max_tokens or send a shorter prompt.").withHeader("x-should-retry", "false");
        } else {
            long waitMillis = Math.max(1, over.retryAtMillis() - over.nowMillis());
            answer = ErrorAnswer.of(429, "caller_tokens_per_minute_exceeded", "Caller '" + caller + "' has used its " + over.limit()
                    + " tokens per minute (" + over.used() + " in the last 60 s, requests in flight included). Retry after "
                    + seconds(waitMillis) + " seconds.")
                    .withHeader("Retry-After", Long.toString(seconds(waitMillis)))
                    .withHeader("retry-after-ms", Long.toString(waitMillis));
        }
        answer = answer.withHeader(CALLER_HEADER, caller).withHeader(REMAINING_TOKENS_HEADER, "0");
        return over.remainingQuota() >= 0 ? answer.withHeader(REMAINING_QUOTA_HEADER, Long.toString(over.remainingQuota())) : answer;
    }

    private static ErrorAnswer overQuota(String caller, Reservation.OverQuota over) {
        long waitMillis = Math.max(1, over.periodEndMillis() - over.nowMillis());
        ErrorAnswer answer = ErrorAnswer.of(403, "caller_token_quota_exceeded", "Caller '" + caller + "' has used its " + over.period().label()
                        + " token quota (" + over.quota() + " tokens; " + over.used() + " used). It starts again at "
                        + Instant.ofEpochMilli(over.periodEndMillis()) + ".")
                .withHeader("Retry-After", Long.toString(seconds(waitMillis)))
                .withHeader("x-should-retry", "false")
                .withHeader(CALLER_HEADER, caller)
                .withHeader(REMAINING_QUOTA_HEADER, "0");
        return over.remainingMinute() >= 0 ? answer.withHeader(REMAINING_TOKENS_HEADER, Long.toString(over.remainingMinute())) : answer;
    }

    private static long seconds(long millis) {
        return (millis + 999) / 1000;
    }
}
