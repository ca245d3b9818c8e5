package dev.spillway.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spillway.simulator.api.Completions;
import dev.spillway.simulator.quota.CostEstimate;
import dev.spillway.simulator.quota.DeploymentQuota;
import dev.spillway.simulator.quota.DeploymentQuota.Admission;
import io.javalin.http.Context;
import jakarta.servlet.ServletOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.time.InstantSource;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;

/** Answers {@code /openai/**} calls the way one Azure OpenAI account would. */
final class AccountHandler {

    private static final Pattern DEPLOYMENT_PATH =
            Pattern.compile("^/openai/deployments/([^/]+)/(chat/completions|embeddings)$");
    private static final Pattern V1_PATH = Pattern.compile("^/openai/v1/(chat/completions|embeddings)$");

    private final SimulatorOptions options;
    private final Map<String, DeploymentQuota> quotas;
    private final Faults faults;
    private final Traffic traffic;
    private final ObjectMapper json;
    private final Completions completions;
    private final CostEstimate costs;
    private final InstantSource clock;
    private final RandomGenerator random;

    AccountHandler(SimulatorOptions options, Map<String, DeploymentQuota> quotas, Faults faults, Traffic traffic, ObjectMapper json,
                   InstantSource clock) {
        this.options = options;
        this.quotas = quotas;
        this.faults = faults;
        this.traffic = traffic;
        this.json = json;
        this.completions = new Completions(json);
        this.costs = new CostEstimate(options.defaultMaxTokens());
        this.clock = clock;
        this.random = new SplittableRandom(options.seed());
    }

    void handle(Context ctx) throws IOException, InterruptedException {
        byte[] body = ctx.req().getInputStream().readAllBytes();
        traffic.received(new ReceivedRequest(ctx.method().name(), ctx.path(), ctx.queryString(), headers(ctx), body));

        if (!authorized(ctx)) {
            error(ctx, 401, "401", "Access denied due to invalid subscription key or wrong API endpoint. "
                    + "Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.");
            return;
        }
        if (!"POST".equals(ctx.method().name())) {
            error(ctx, 404, "404", "Resource not found");
            return;
        }
        JsonNode request;
        try {
            request = json.readTree(body);
        } catch (IOException e) {
            error(ctx, 400, "BadRequest", "The request body is not valid JSON.");
            return;
        }
        if (request == null || !request.isObject()) {
            error(ctx, 400, "BadRequest", "The request body must be a JSON object.");
            return;
        }

        String path = ctx.path();
        String deployment;
        String operation;
        Matcher byPath = DEPLOYMENT_PATH.matcher(path);
        Matcher byModel = V1_PATH.matcher(path);
        if (byPath.matches()) {
            deployment = byPath.group(1);
            operation = byPath.group(2);
        } else if (byModel.matches()) {
            deployment = request.path("model").asText("");
            operation = byModel.group(1);
            if (deployment.isEmpty()) {
                error(ctx, 400, "BadRequest", "you must provide a model parameter");
                return;
            }
        } else {
            error(ctx, 404, "404", "Resource not found");
            return;
        }
        traffic.routed(deployment);
        DeploymentQuota quota = quotas.get(deployment);
        if (quota == null || faults.warmingUp(deployment, clock.instant())) {
            error(ctx, 404, "DeploymentNotFound", "The API deployment for this resource does not exist. "
                    + "If you created the deployment within the last 5 minutes, please wait a moment and try again.");
            return;
        }

        Duration delay = faults.firstByteDelay().plus(options.firstByteLatency());
        if (!delay.isZero()) {
            Thread.sleep(delay);
        }
        if (faults.capacityThrottled()) {
            // A capacity 429 is the service's shortage, not this deployment's quota: nothing is charged,
            // and there may be no retry header to go by.
            error(ctx, 429, "429", "The system is experiencing high demand and cannot process your request at this time. "
                    + "Please try again later.");
            return;
        }
        Optional<Faults.Throttle> throttle = faults.throttleFor(deployment);
        if (throttle.isPresent()) {
            tooManyRequests(ctx, throttle.get().retryAfter().toMillis(), throttle.get().retryAfterMs().map(Duration::toMillis),
                    DeploymentQuota.Limit.TOKENS, operation);
            return;
        }
        int failure = faults.failureStatus();
        if (failure == 0) {
            failure = faults.randomFailure(this::nextRandom);
        }
        if (failure != 0) {
            failure(ctx, failure);
            return;
        }

        boolean chat = operation.equals("chat/completions");
        long promptTokens = costs.promptTokens(request);
        quota.cutLimit(faults.limitFactor());
        Admission admission = quota.admit(chat ? costs.chatCost(request) : costs.embeddingCost(request));
        if (admission instanceof Admission.Throttled throttled) {
            tooManyRequests(ctx, throttled.retryAfterMillis(), Optional.of(throttled.retryAfterMillis()), throttled.limit(), operation);
            return;
        }
        Admission.Admitted admitted = (Admission.Admitted) admission;
        quotaHeaders(ctx, quota, admitted);
        if (chat && faults.filtersPrompt(request.path("messages").toString())) {
            // Admitted (and charged) first, then refused by the filter: a retry elsewhere gets the same answer.
            contentFiltered(ctx);
            return;
        }

        String model = deployment;
        if (!chat) {
            JsonNode input = request.path("input");
            int inputs = input.isArray() ? Math.max(1, input.size()) : 1;
            send(ctx, 200, completions.embeddings(model, inputs, promptTokens));
            return;
        }
        int answerLength = (int) Math.min(options.completionTokens(), costs.maxTokens(request));
        List<String> tokens = completions.answerTokens(answerLength);
        if (request.path("stream").asBoolean(false)) {
            boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
            stream(ctx, faults.contentFilterChunks()
                    ? completions.annotatedChatCompletionChunks(model, tokens, promptTokens, includeUsage)
                    : completions.chatCompletionChunks(model, tokens, promptTokens, includeUsage));
        } else {
            Duration perToken = options.tokenLatency();
            if (!perToken.isZero()) {
                Thread.sleep(perToken.multipliedBy(tokens.size()));
            }
            send(ctx, 200, completions.chatCompletion(model, tokens, promptTokens));
        }
    }

    private void stream(Context ctx, List<ObjectNode> chunks) throws IOException, InterruptedException {
        traffic.answered(200);
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.header("Cache-Control", "no-cache");
        ServletOutputStream out = ctx.res().getOutputStream();
        int dropAfter = faults.dropStreamAfterChunks();
        Duration perToken = options.tokenLatency();
        int sent = 0;
        traffic.streamOpened();
        boolean abandoned = false;
        try {
            for (ObjectNode chunk : chunks) {
                if (sent == dropAfter) {
                    out.flush();
                    // Abort the connection so the chunked body never gets its final chunk, as a broken backend would.
                    ServletContextRequest.getServletContextRequest(ctx.req()).getConnectionMetaData().getConnection()
                            .getEndPoint().close();
                    return;
                }
                if (sent > 0 && !perToken.isZero()) {
                    Thread.sleep(perToken);
                }
                out.write(("data: " + json.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                sent++;
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException callerGone) {
            abandoned = true;
        } finally {
            traffic.streamClosed(abandoned);
        }
    }

    /**
     * Azure's headers are estimates from a distributed limiter, not exact counters: with jitter on,
     * the remaining values are off by a few percent, and the switches give the shapes seen in the
     * field ({@code -1}, or no headers at all).
     */
    private void quotaHeaders(Context ctx, DeploymentQuota quota, Admission.Admitted admitted) {
        if (faults.noQuotaHeaders()) {
            return;
        }
        boolean unknown = faults.remainingUnknown();
        ctx.header("x-ratelimit-remaining-tokens", unknown ? "-1"
                : Long.toString(jitter(admitted.remainingTokens(), quota.effectiveTokensPerMinute())));
        ctx.header("x-ratelimit-remaining-requests", unknown ? "-1"
                : Long.toString(jitter(admitted.remainingRequests(), quota.requestsPerWindow())));
        ctx.header("x-ratelimit-limit-tokens", Long.toString(quota.effectiveTokensPerMinute()));
        ctx.header("x-ratelimit-limit-requests", Long.toString(quota.requestsPerWindow()));
    }

    /** Off by up to the jitter either way, but never below 0 nor above the limit. */
    private long jitter(long value, long limit) {
        double spread = options.headerJitter();
        if (spread == 0 || value <= 0) {
            return value;
        }
        return Math.min(limit, Math.max(0, Math.round(value * (1 + (nextRandom() * 2 - 1) * spread))));
    }

    /** One seeded sequence for the whole account, so a run repeats; SplittableRandom is not thread-safe. */
    private double nextRandom() {
        synchronized (random) {
            return random.nextDouble();
        }
    }

    /** The service's own failures, with the codes it uses for each. */
    private void failure(Context ctx, int status) {
        switch (status) {
            case 408 -> error(ctx, 408, "Timeout", "The operation was timeout.");
            case 503 -> error(ctx, 503, "ServiceUnavailable", "The service is temporarily unable to process your request. Please try again later.");
            case 500 -> error(ctx, 500, "server_error", "The server had an error while processing your request. Sorry about that!");
            default -> error(ctx, status, "InternalServerError", "The server had an error while processing your request.");
        }
    }

    /** Azure's shape for a prompt the content filter refuses: 400, code content_filter, the filter's verdict inside. */
    private void contentFiltered(Context ctx) {
        ObjectNode body = json.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.putNull("type");
        error.put("message", "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
                + "Please modify your prompt and retry.");
        error.put("param", "prompt").put("code", "content_filter").put("status", 400);
        ObjectNode inner = error.putObject("innererror");
        inner.put("code", "ResponsibleAIPolicyViolation");
        ObjectNode result = inner.putObject("content_filter_result");
        result.putObject("hate").put("filtered", false).put("severity", "safe");
        result.putObject("self_harm").put("filtered", false).put("severity", "safe");
        result.putObject("sexual").put("filtered", false).put("severity", "safe");
        result.putObject("violence").put("filtered", true).put("severity", "high");
        send(ctx, 400, body);
    }

    private void tooManyRequests(Context ctx, long retryAfterMillis, Optional<Long> retryAfterMsHeader, DeploymentQuota.Limit limit, String operation) {
        long retrySeconds = (Math.max(1, retryAfterMillis) + 999) / 1000;
        ctx.header("retry-after", Long.toString(retrySeconds));
        retryAfterMsHeader.ifPresent(ms -> ctx.header("retry-after-ms", Long.toString(Math.max(1, ms))));
        ctx.header(limit == DeploymentQuota.Limit.TOKENS ? "x-ratelimit-reset-tokens" : "x-ratelimit-reset-requests",
                Long.toString(retrySeconds));
        String operationName = operation.equals("embeddings") ? "Embeddings_Create" : "ChatCompletions_Create";
        error(ctx, 429, "429", "Requests to the " + operationName + " Operation under Azure OpenAI API version "
                + Optional.ofNullable(ctx.queryParam("api-version")).orElse("v1") + " have exceeded "
                + (limit == DeploymentQuota.Limit.TOKENS ? "token rate limit" : "call rate limit")
                + " of your current AIServices S0 pricing tier. Please retry after " + retrySeconds
                + " seconds. Please contact Azure support service if you would like to further increase the default rate limit.");
    }

    private void error(Context ctx, int status, String code, String message) {
        ObjectNode body = json.createObjectNode();
        body.putObject("error").put("code", code).put("message", message);
        send(ctx, status, body);
    }

    private void send(Context ctx, int status, ObjectNode body) {
        traffic.answered(status);
        ctx.header("apim-request-id", UUID.randomUUID().toString());
        ctx.status(status).contentType("application/json").result(body.toString());
    }

    private boolean authorized(Context ctx) {
        if (options.apiKey().isEmpty()) {
            return true;
        }
        byte[] expected = options.apiKey().get().getBytes(StandardCharsets.UTF_8);
        String apiKey = ctx.header("api-key");
        String authorization = ctx.header("Authorization");
        String bearer = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : null;
        return matches(apiKey, expected) || matches(bearer, expected);
    }

    private static boolean matches(String presented, byte[] expected) {
        return presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), expected);
    }

    private static Map<String, List<String>> headers(Context ctx) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String name : Collections.list(ctx.req().getHeaderNames())) {
            headers.put(name, Collections.list(ctx.req().getHeaders(name)));
        }
        return headers;
    }
}
