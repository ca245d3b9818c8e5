package dev.spillway.proxy.server;

import dev.spillway.proxy.auth.AuthResult;
import dev.spillway.proxy.budget.Admission;
import dev.spillway.proxy.budget.CallerBudgets;
import dev.spillway.proxy.forward.HeaderPolicy;
import dev.spillway.proxy.forward.UpstreamRequest;
import dev.spillway.proxy.observe.ProxyMetrics;
import dev.spillway.proxy.observe.ProxyMetrics.RequestOutcome;
import dev.spillway.proxy.route.ObjectAffinity;
import dev.spillway.proxy.route.ReplayPolicy;
import dev.spillway.proxy.route.Router;
import java.net.URI;
import java.util.Set;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The forward path, {@code /openai/**}, as a Jetty core handler ahead of the Javalin app: admission
 * (drain and concurrency cap), the path check, auth, the buffered body and the caller's budget, then
 * the {@link FailoverLoop}. Anything else is declined, and the app behind it answers.
 */
final class OpenAiHandler extends Handler.Abstract {

    private final AuthGate auth;
    private final RequestBodyReader bodies;
    private final RequestInspector inspector;
    private final FailoverLoop.Parts parts;
    private final Drain drain;
    private final int maxConcurrentRequests;
    private final CallerBudgets budgets;

    OpenAiHandler(AuthGate auth, RequestBodyReader bodies, RequestInspector inspector, FailoverLoop.Parts parts, Drain drain,
                  int maxConcurrentRequests, CallerBudgets budgets) {
        this.auth = auth;
        this.budgets = budgets;
        this.bodies = bodies;
        this.inspector = inspector;
        this.parts = parts;
        this.drain = drain;
        this.maxConcurrentRequests = maxConcurrentRequests;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        // Decided on the decoded, normalised path, as a router would; the raw one is checked next.
        if (!Request.getPathInContext(request).startsWith("/openai/")) {
            return false;
        }
        ProxyMetrics metrics = parts.metrics();
        Drain.Admission admission = drain.enter(maxConcurrentRequests);
        if (admission != Drain.Admission.ADMITTED) {
            boolean closing = admission == Drain.Admission.SHUTTING_DOWN;
            ErrorAnswer refused = closing
                    ? ErrorAnswer.of(503, "shutting_down", "This proxy replica is shutting down. Retry; the request will go to another replica.")
                            .withHeader("Connection", "close")
                    : ErrorAnswer.of(503, "overloaded", "The proxy is handling as many requests as it is configured to "
                            + "(SPILLWAY_MAX_CONCURRENT_REQUESTS). Retry in a moment.");
            metrics.requestRefused(closing ? "shutting_down" : "overloaded");
            ErrorResponses.write(response, callback, refused.withHeader("Retry-After", "1"));
            return true;
        }
        metrics.requestStarted();
        ClientExchange exchange = new ClientExchange(request, response, callback, drain, metrics, parts.router());
        CanonicalPath path;
        try {
            // Before auth: a path that could mean something else to a backend is refused whoever sends it.
            path = CanonicalPath.parse(request.getHttpURI().getPath());
        } catch (BadRequestException e) {
            exchange.answer(ErrorAnswer.of(e));
            return true;
        }
        HttpFields headers = request.getHeaders();
        AuthResult who = auth.authenticate(headers::get);
        ErrorAnswer refusal = auth.refusal(who);
        if (refusal != null) {
            exchange.answer(refusal);
            return true;
        }
        String caller = ((AuthResult.Allowed) who).caller();
        bodies.read(request, new RequestBodyReader.Outcome() {
            @Override
            public void body(byte[] body) {
                forward(exchange, path, body, caller);
            }

            @Override
            public void refused(ErrorAnswer answer) {
                exchange.answer(answer);
            }
        });
        return true;
    }

    private void forward(ClientExchange exchange, CanonicalPath path, byte[] body, String caller) {
        Request request = exchange.request;
        String method = request.getMethod();
        RequestInspector.RequestFacts facts;
        ObjectAffinity affinity;
        URI target;
        String query = request.getHttpURI().getQuery();
        Supplier<String> apiVersion = () -> query == null ? null : Request.extractQueryParameters(request).getValue("api-version");
        try {
            facts = inspector.inspect(path, request.getHeaders().get(HttpHeader.CONTENT_TYPE), body);
            affinity = ObjectAffinity.of(method, path.segments(), apiVersion).withBodyRefs(facts.bodyRefs());
            target = validTarget(query == null ? path.encoded() : path.encoded() + "?" + query);
        } catch (BadRequestException e) {
            ErrorAnswer answer = ErrorAnswer.of(e);
            exchange.answer(caller == null ? answer : answer.withHeader(BudgetGate.CALLER_HEADER, caller));
            return;
        }
        exchange.deployment = facts.deployment();
        boolean chargesTokens = CallerBudgets.chargesTokens(method, path.segments());
        budgets.admit(caller, chargesTokens, facts.estimatedTokens()).whenComplete((admission, storeFailure) -> {
            if (admission instanceof Admission.Refused refused) {
                exchange.outcome = RequestOutcome.OVER_BUDGET;
                exchange.answer(BudgetGate.refusal(refused));
                return;
            }
            byte[] forwarded = body;
            if (admission instanceof Admission.Admitted admitted) {
                BudgetGate.addHeaders(exchange.response.getHeaders(), admitted);
                exchange.charge = admitted.charge();
                if (admitted.charge().counts() && StreamUsage.shouldAsk(path.segments(), apiVersion.get(), facts.streaming())) {
                    forwarded = StreamUsage.ask(body, facts.streaming());
                    exchange.stripsUsage = true;
                }
            }
            // A store that failed is no reason to fail the request: it goes on uncharged.
            // An answer whose usage or created id the proxy reads is asked for unencoded.
            boolean readsAnswer = affinity.creates() != null || exchange.charge.counts();
            UpstreamRequest upstream = new UpstreamRequest(method, target, forwardedHeaders(request.getHeaders(), readsAnswer), forwarded);
            new FailoverLoop(parts, exchange, upstream, facts.estimatedTokens(), ReplayPolicy.of(method, path.segments()), affinity).start();
        });
    }

    /** @param readsAnswer whether the proxy must read the answer (a created object's id, a caller's usage): it is then asked for unencoded */
    private static HttpFields forwardedHeaders(HttpFields incoming, boolean readsAnswer) {
        Set<String> connectionTokens = HeaderPolicy.connectionTokens(incoming.getValuesList(HttpHeader.CONNECTION));
        HttpFields.Mutable headers = HttpFields.build(incoming.size());
        for (HttpField field : incoming) {
            if (HeaderPolicy.forwardsRequestHeader(field, connectionTokens) && !(readsAnswer && field.getHeader() == HttpHeader.ACCEPT_ENCODING)) {
                headers.add(field);
            }
        }
        return headers.asImmutable();
    }

    private static URI validTarget(String pathAndQuery) throws BadRequestException {
        try {
            return URI.create(pathAndQuery);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(400, "invalid_path", "The request path or query is not a valid URI; percent-encode special characters.");
        }
    }
}
