package dev.spillway.proxy.budget;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spillway.proxy.state.TokenLimits;
import java.time.Instant;
import java.util.concurrent.CompletionStage;

/**
 * The JSON behind {@code GET /callers}: each named caller's limits, what it has used and what is
 * left in its 60 s window and its quota period (reservations of requests in flight included), and
 * the tokens and refusals this process counted. Never a credential.
 */
public final class CallersReport {

    private final CallerBudgets budgets;
    private final ObjectMapper json = new ObjectMapper();

    public CallersReport(CallerBudgets budgets) {
        this.budgets = budgets;
    }

    public CompletionStage<String> render() {
        return budgets.report().thenApply(uses -> {
            ObjectNode root = json.createObjectNode();
            ArrayNode callers = root.putArray("callers");
            long now = -1;
            for (CallerBudgets.CallerUse use : uses) {
                now = use.use().nowMillis();
                TokenLimits limits = use.caller().limits();
                ObjectNode caller = callers.addObject();
                caller.put("name", use.caller().name());
                ObjectNode minute = caller.putObject("minute");
                if (limits.limitsMinute()) {
                    minute.put("limit", limits.perMinute());
                    minute.put("used", use.use().minuteUsed());
                    minute.put("remaining", Math.max(0, limits.perMinute() - use.use().minuteUsed()));
                } else {
                    minute.putNull("limit");
                }
                ObjectNode quota = caller.putObject("quota");
                if (limits.limitsQuota()) {
                    quota.put("limit", limits.quota());
                    quota.put("period", limits.period().label());
                    quota.put("used", use.use().quotaUsed());
                    quota.put("remaining", Math.max(0, limits.quota() - use.use().quotaUsed()));
                    quota.put("periodEnds", Instant.ofEpochMilli(use.use().periodEndMillis()).toString());
                } else {
                    quota.putNull("limit");
                }
                ObjectNode counted = caller.putObject("counted");
                counted.put("promptTokens", use.promptTokens());
                counted.put("completionTokens", use.completionTokens());
                counted.put("minuteRejections", use.minuteRejections());
                counted.put("quotaRejections", use.quotaRejections());
            }
            if (now >= 0) {
                root.put("time", Instant.ofEpochMilli(now).toString());
            }
            return root.toString();
        });
    }
}
