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

    AccountHandler(SimulatorOptions options, Map<String, DeploymentQuota> quotas, Faults faults, Traffic traffic, ObjectMapper json) {
        this.options = options;
        this.quotas = quotas;
        this.faults = faults;
        this.traffic = traffic;
        this.json = json;
        this.completions = new Completions(json);
        this.costs = new CostEstimate(options.defaultMaxTokens());
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
        if (quota == null) {
            error(ctx, 404, "DeploymentNotFound", "The API deployment for this resource does not exist. "
                    + "If you created the deployment within the last 5 minutes, please wait a moment and try again.");
            return;
        }

        Duration delay = faults.firstByteDelay();
        if (!delay.isZero()) {
            Thread.sleep(delay);
        }
        Optional<Faults.Throttle> throttle = faults.throttleFor(deployment);
        if (throttle.isPresent()) {
            tooManyRequests(ctx, throttle.get().retryAfter().toMillis(), throttle.get().retryAfterMs().map(Duration::toMillis),
                    DeploymentQuota.Limit.TOKENS, operation);
            return;
        }
        int failure = faults.failureStatus();
        if (failure != 0) {
            error(ctx, failure, "InternalServerError", "The server had an error while processing your request.");
            return;
        }

        boolean chat = operation.equals("chat/completions");
        long promptTokens = costs.promptTokens(request);
        Admission admission = quota.admit(chat ? costs.chatCost(request) : costs.embeddingCost(request));
        if (admission instanceof Admission.Throttled throttled) {
            tooManyRequests(ctx, throttled.retryAfterMillis(), Optional.of(throttled.retryAfterMillis()), throttled.limit(), operation);
            return;
        }
        Admission.Admitted admitted = (Admission.Admitted) admission;
        ctx.header("x-ratelimit-remaining-tokens", Long.toString(admitted.remainingTokens()));
        ctx.header("x-ratelimit-remaining-requests", Long.toString(admitted.remainingRequests()));
        ctx.header("x-ratelimit-limit-tokens", Long.toString(quota.tokensPerMinute()));
        ctx.header("x-ratelimit-limit-requests", Long.toString(quota.requestsPerWindow()));

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
            stream(ctx, completions.chatCompletionChunks(model, tokens, promptTokens, includeUsage));
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
