package dev.spillway.proxy.server;

import dev.spillway.proxy.forward.HeaderPolicy;
import dev.spillway.proxy.forward.UpstreamRequest;
import dev.spillway.proxy.observe.ProxyMetrics;
import dev.spillway.proxy.route.ObjectAffinity;
import dev.spillway.proxy.route.ReplayPolicy;
import dev.spillway.proxy.route.Router;
import java.net.URI;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The forward path, {@code /openai/**}, as a Jetty core handler ahead of the Javalin app: admission
 * (drain and concurrency cap), the path check, auth, and the buffered body, then the
 * {@link FailoverLoop}. Anything else is declined, and the app behind it answers.
 */
final class OpenAiHandler extends Handler.Abstract {

    private final AuthGate auth;
    private final RequestBodyReader bodies;
    private final RequestInspector inspector;
    private final FailoverLoop.Parts parts;
    private final Drain drain;
    private final int maxConcurrentRequests;

    OpenAiHandler(AuthGate auth, RequestBodyReader bodies, RequestInspector inspector, FailoverLoop.Parts parts, Drain drain,
                  int maxConcurrentRequests) {
        this.auth = auth;
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
        ErrorAnswer refusal = auth.refusal(headers::get);
        if (refusal != null) {
            exchange.answer(refusal);
            return true;
        }
        bodies.read(request, new RequestBodyReader.Outcome() {
            @Override
            public void body(byte[] body) {
                forward(exchange, path, body);
            }

            @Override
            public void refused(ErrorAnswer answer) {
                exchange.answer(answer);
            }
        });
        return true;
    }

    private void forward(ClientExchange exchange, CanonicalPath path, byte[] body) {
        Request request = exchange.request;
        String method = request.getMethod();
        UpstreamRequest upstream;
        RequestInspector.RequestFacts facts;
        ObjectAffinity affinity;
        try {
            facts = inspector.inspect(path, request.getHeaders().get(HttpHeader.CONTENT_TYPE), body);
            String query = request.getHttpURI().getQuery();
            affinity = ObjectAffinity.of(method, path.segments(), () -> query == null ? null
                    : Request.extractQueryParameters(request).getValue("api-version")).withBodyRefs(facts.bodyRefs());
            String pathAndQuery = query == null ? path.encoded() : path.encoded() + "?" + query;
            upstream = new UpstreamRequest(method, validTarget(pathAndQuery),
                    forwardedHeaders(request.getHeaders(), affinity.creates() != null), body);
        } catch (BadRequestException e) {
            exchange.answer(ErrorAnswer.of(e));
            return;
        }
        exchange.deployment = facts.deployment();
        new FailoverLoop(parts, exchange, upstream, facts.estimatedTokens(), ReplayPolicy.of(method, path.segments()), affinity).start();
    }

    /** @param creates whether the answer creates an object, whose id the proxy must read: it is then asked for unencoded */
    private static HttpFields forwardedHeaders(HttpFields incoming, boolean creates) {
        Set<String> connectionTokens = HeaderPolicy.connectionTokens(incoming.getValuesList(HttpHeader.CONNECTION));
        HttpFields.Mutable headers = HttpFields.build(incoming.size());
        for (HttpField field : incoming) {
            if (HeaderPolicy.forwardsRequestHeader(field, connectionTokens) && !(creates && field.getHeader() == HttpHeader.ACCEPT_ENCODING)) {
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
