package dev.spillway.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spillway.simulator.api.Answer;
import dev.spillway.simulator.api.ApiErrors;
import dev.spillway.simulator.api.Completions;
import dev.spillway.simulator.api.ObjectApi;
import dev.spillway.simulator.api.ObjectCall;
import dev.spillway.simulator.api.Responses;
import dev.spillway.simulator.quota.CostEstimate;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Answers {@code /openai/**} calls the way one Azure OpenAI account would: records the request,
 * checks the key, then hands a model call to the {@link ModelGate} and the API that answers it, and
 * an object call to the API that holds those objects.
 */
final class AccountHandler {

    private final SimulatorOptions options;
    private final Faults faults;
    private final Traffic traffic;
    private final ObjectMapper json;
    private final ModelGate gate;
    private final Responses responses;
    /** By collection: {@code responses}, {@code files}, {@code batches}, {@code models}. */
    private final Map<String, ObjectApi> objectApis;
    private final AnswerWriter writer;
    private final Completions completions;
    private final CostEstimate costs;

    AccountHandler(SimulatorOptions options, ModelGate gate, Responses responses, Map<String, ObjectApi> objectApis, Faults faults,
                   Traffic traffic, ObjectMapper json) {
        this.options = options;
        this.gate = gate;
        this.responses = responses;
        this.objectApis = Map.copyOf(objectApis);
        this.faults = faults;
        this.traffic = traffic;
        this.json = json;
        this.writer = new AnswerWriter(faults, traffic, options.tokenLatency());
        this.completions = new Completions(json);
        this.costs = new CostEstimate(options.defaultMaxTokens());
    }

    void handle(Context ctx) throws IOException, InterruptedException {
        byte[] body = ctx.req().getInputStream().readAllBytes();
        traffic.received(new ReceivedRequest(ctx.method().name(), ctx.path(), ctx.queryString(), headers(ctx), body));
        writer.write(ctx, answer(ctx, body));
    }

    private Answer answer(Context ctx, byte[] body) throws InterruptedException {
        if (!authorized(ctx)) {
            return ApiErrors.azure(401, "401", "Access denied due to invalid subscription key or wrong API endpoint. "
                    + "Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.");
        }
        return switch (Target.of(ctx.method().name(), ctx.path())) {
            case Target.ModelCall call -> modelCall(ctx, call, body);
            case Target.ObjectCall call -> objectApis.getOrDefault(call.collection(), unknown -> ApiErrors.resourceNotFound())
                    .handle(new ObjectCall(ctx.method().name(), call.rest(), ctx.queryParamMap(), Optional.ofNullable(ctx.contentType()),
                            body));
            case Target.Unknown unknown -> ApiErrors.resourceNotFound();
        };
    }

    private Answer modelCall(Context ctx, Target.ModelCall call, byte[] body) throws InterruptedException {
        JsonNode request;
        try {
            request = json.readTree(body);
        } catch (IOException e) {
            return ApiErrors.azure(400, "BadRequest", "The request body is not valid JSON.");
        }
        if (request == null || !request.isObject()) {
            return ApiErrors.azure(400, "BadRequest", "The request body must be a JSON object.");
        }
        String deployment = call.deployment().orElseGet(() -> request.path("model").asText(""));
        if (deployment.isEmpty()) {
            return ApiErrors.azure(400, "BadRequest", "you must provide a model parameter");
        }
        Operation operation = call.operation();
        long cost = switch (operation) {
            case CHAT -> costs.chatCost(request);
            case EMBEDDINGS -> costs.embeddingCost(request);
            case RESPONSES -> costs.responseCost(request);
        };
        ModelGate.Outcome outcome = gate.enter(deployment, operation, cost, Optional.ofNullable(ctx.queryParam("api-version")));
        if (outcome instanceof ModelGate.Outcome.Refused refused) {
            return refused.answer();
        }
        Map<String, String> quotaHeaders = ((ModelGate.Outcome.Admitted) outcome).quotaHeaders();
        Answer answer = switch (operation) {
            case CHAT -> chat(deployment, request);
            case EMBEDDINGS -> embeddings(deployment, request);
            case RESPONSES -> response(deployment, request);
        };
        return answer.withHeaders(quotaHeaders);
    }

    private Answer response(String model, JsonNode request) throws InterruptedException {
        List<String> tokens = completions.answerTokens(answerLength(request));
        Answer answer = responses.create(request, model, tokens, costs.promptTokens(request));
        if (answer.status() == 200 && answer.body() instanceof Answer.Json) {
            generate(tokens.size());
        }
        return answer;
    }

    private Answer chat(String model, JsonNode request) throws InterruptedException {
        if (faults.filtersPrompt(request.path("messages").toString())) {
            // Admitted (and charged) first, then refused by the filter: a retry elsewhere gets the same answer.
            return ApiErrors.contentFiltered();
        }
        long promptTokens = costs.promptTokens(request);
        List<String> tokens = completions.answerTokens(answerLength(request));
        if (request.path("stream").asBoolean(false)) {
            boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
            List<ObjectNode> chunks = faults.contentFilterChunks()
                    ? completions.annotatedChatCompletionChunks(model, tokens, promptTokens, includeUsage)
                    : completions.chatCompletionChunks(model, tokens, promptTokens, includeUsage);
            List<Answer.Event> events = new ArrayList<>(chunks.size());
            for (ObjectNode chunk : chunks) {
                events.add(Answer.Event.data(chunk, !events.isEmpty()));
            }
            return Answer.events(events, true);
        }
        generate(tokens.size());
        return Answer.json(200, completions.chatCompletion(model, tokens, promptTokens));
    }

    private Answer embeddings(String model, JsonNode request) {
        JsonNode input = request.path("input");
        int inputs = input.isArray() ? Math.max(1, input.size()) : 1;
        return Answer.json(200, completions.embeddings(model, inputs, costs.promptTokens(request)));
    }

    /** As many tokens as the account is set to answer with, but no more than the request allows. */
    private int answerLength(JsonNode request) {
        return (int) Math.min(options.completionTokens(), costs.maxTokens(request));
    }

    /** A whole (not streamed) answer takes the time its tokens would have taken to stream. */
    private void generate(int tokens) throws InterruptedException {
        Duration perToken = options.tokenLatency();
        if (!perToken.isZero()) {
            Thread.sleep(perToken.multipliedBy(tokens));
        }
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
