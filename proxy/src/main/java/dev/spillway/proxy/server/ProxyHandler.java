package dev.spillway.proxy.server;

import dev.spillway.proxy.auth.AuthResult;
import dev.spillway.proxy.auth.InboundAuth;
import dev.spillway.proxy.forward.Forwarder;
import dev.spillway.proxy.forward.HeaderPolicy;
import dev.spillway.proxy.forward.ResponseRelay;
import dev.spillway.proxy.forward.UpstreamRequest;
import dev.spillway.proxy.forward.UpstreamResult;
import dev.spillway.proxy.observe.AttemptLog;
import dev.spillway.proxy.observe.ProxyMetrics;
import dev.spillway.proxy.observe.ProxyMetrics.AttemptOutcome;
import dev.spillway.proxy.observe.ProxyMetrics.RequestOutcome;
import dev.spillway.proxy.observe.UsageScanner;
import dev.spillway.proxy.route.Endpoint;
import dev.spillway.proxy.route.ReplayPolicy;
import dev.spillway.proxy.route.RouteDecision;
import dev.spillway.proxy.route.Router;
import io.javalin.http.Context;
import jakarta.servlet.http.HttpServletRequest;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SocketChannelEndPoint;

/**
 * Proxies one {@code /openai/**} request: authenticate, buffer the body, then try endpoints as the
 * {@link Router} directs until one answers with something the client should see, and relay that
 * answer. The rules (DESIGN.md): 429 blocks the endpoint and moves on; 5xx, 401/403 and transport
 * failures cool the backend down and move on; any other answer goes to the client as is; each
 * backend is tried at most once; nothing is retried once a byte has reached the client; and a
 * request that creates or changes an object is not replayed once it may have reached a backend
 * ({@link ReplayPolicy}).
 */
final class ProxyHandler {

    static final String BACKEND_HEADER = "x-spillway-backend";

    private final InboundAuth auth;
    private final RequestBodyReader bodies;
    private final RequestInspector inspector;
    private final Router router;
    private final Forwarder forwarder;
    private final ResponseRelay relay;
    private final AttemptLog log;
    private final FailoverAnswers answers;
    private final ProxyMetrics metrics;
    private final Drain drain;
    private final int maxConcurrentRequests;

    ProxyHandler(InboundAuth auth, RequestBodyReader bodies, RequestInspector inspector, Router router,
                 Forwarder forwarder, ResponseRelay relay, AttemptLog log, FailoverAnswers answers, ProxyMetrics metrics, Drain drain,
                 int maxConcurrentRequests) {
        this.auth = auth;
        this.bodies = bodies;
        this.inspector = inspector;
        this.router = router;
        this.forwarder = forwarder;
        this.relay = relay;
        this.log = log;
        this.answers = answers;
        this.metrics = metrics;
        this.drain = drain;
        this.maxConcurrentRequests = maxConcurrentRequests;
    }

    void handle(Context ctx) throws java.io.IOException {
        Drain.Admission admission = drain.enter(maxConcurrentRequests);
        if (admission != Drain.Admission.ADMITTED) {
            ctx.header("Retry-After", "1");
            if (admission == Drain.Admission.SHUTTING_DOWN) {
                ctx.header("Connection", "close");
                ErrorResponses.send(ctx, 503, "shutting_down", "This proxy replica is shutting down. Retry; the request will go to another replica.");
            } else {
                ErrorResponses.send(ctx, 503, "overloaded", "The proxy is handling as many requests as it is configured to "
                        + "(SPILLWAY_MAX_CONCURRENT_REQUESTS). Retry in a moment.");
            }
            metrics.requestRefused(admission == Drain.Admission.SHUTTING_DOWN ? "shutting_down" : "overloaded");
            return;
        }
        metrics.requestStarted();
        Exchange exchange = new Exchange();
        try {
            handle(ctx, exchange);
        } finally {
            drain.exit();
            // Labelled now, not as they happened: a later attempt's success may have shown the deployment is real.
            for (AttemptRecord attempt : exchange.attempts) {
                Endpoint known = router.known(attempt.endpoint());
                metrics.attempted(known == null ? attempt.endpoint() : known, known != null, attempt.status(), attempt.outcome(), attempt.toHeaders());
            }
            String label = router.cluster().remembers(exchange.deployment) ? exchange.deployment : "other";
            metrics.requestEnded(label, ctx.statusCode(), exchange.outcome, exchange.tried.size());
        }
    }

    /** What one client request went through, for the metrics recorded when it ends. */
    private static final class Exchange {
        final Set<Endpoint> tried = new HashSet<>();
        final List<AttemptRecord> attempts = new ArrayList<>(2);
        String deployment = "";
        RequestOutcome outcome = RequestOutcome.REJECTED;
    }

    private void handle(Context ctx, Exchange exchange) throws java.io.IOException {
        if (!authorized(ctx, auth)) {
            return;
        }
        HttpServletRequest req = ctx.req();
        UpstreamRequest request;
        RequestInspector.RequestFacts facts;
        ReplayPolicy replay;
        try {
            CanonicalPath path = CanonicalPath.parse(rawPath(ctx));
            byte[] body = bodies.read(req);
            facts = inspector.inspect(path, req.getContentType(), body);
            String pathAndQuery = req.getQueryString() == null ? path.encoded() : path.encoded() + "?" + req.getQueryString();
            request = new UpstreamRequest(req.getMethod(), validTarget(pathAndQuery), forwardedHeaders(req), body);
            replay = ReplayPolicy.of(req.getMethod(), path.segments());
        } catch (BadRequestException e) {
            ErrorResponses.send(ctx, e.status(), e.code(), e.getMessage());
            return;
        }
        exchange.deployment = facts.deployment();
        route(ctx, exchange, facts, request, replay);
    }

    /**
     * The path exactly as the request line sent it, percent-encoding and dot segments intact: what
     * Jetty decodes and normalises for routing is not what a backend would be sent.
     */
    static String rawPath(Context ctx) {
        return ServletContextRequest.getServletContextRequest(ctx.req()).getHttpURI().getPath();
    }

    private void route(Context ctx, Exchange exchange, RequestInspector.RequestFacts facts, UpstreamRequest request, ReplayPolicy replay) {
        String deployment = facts.deployment();
        Set<Endpoint> tried = exchange.tried;
        Attempt held = null;
        UpstreamResult.Failure lastFailure = null;
        boolean throttledHere = false;
        while (true) {
            RouteDecision decision = router.next(deployment, tried, facts.estimatedTokens());
            if (decision instanceof RouteDecision.Exhausted exhausted) {
                if (held == null && lastFailure == null && !throttledHere && exhausted.saturated()) {
                    exchange.outcome = RequestOutcome.FAILED;
                    answers.saturated(ctx);
                    return;
                }
                if (held != null) {
                    // The last backend's own error says more than anything the proxy could make up.
                    exchange.outcome = RequestOutcome.FAILED;
                    if (!relay(ctx, held)) {
                        answers.exhausted(ctx, deployment, 0, router.nowMillis(), false, brokeBeforeBody());
                    }
                } else {
                    exchange.outcome = throttledHere || tried.isEmpty() || lastFailure == null ? RequestOutcome.BLOCKED : RequestOutcome.FAILED;
                    answers.exhausted(ctx, deployment, exhausted.availableAtMillis(), router.nowMillis(), throttledHere, lastFailure);
                }
                return;
            }
            if (held != null) {
                held.response.discard();
                router.finished(held.endpoint());
                held = null;
            }
            RouteDecision.Attempt routed = (RouteDecision.Attempt) decision;
            Endpoint endpoint = routed.endpoint();
            tried.add(endpoint);
            log.attempt(endpoint, request.pathAndQuery(), tried.size());
            long sent = System.nanoTime();
            UpstreamResult result = forwarder.send(endpoint, request);
            Duration toHeaders = Duration.ofNanos(System.nanoTime() - sent);
            if (result instanceof UpstreamResult.Failure failure) {
                router.finished(endpoint);
                router.failed(endpoint);
                exchange.attempts.add(new AttemptRecord(endpoint, 0, AttemptOutcome.FAILED, toHeaders));
                log.failed(endpoint, failure.kind() == UpstreamResult.Kind.TIMEOUT ? failure.detail()
                        : AttemptLog.words(failure.kind()) + ": " + failure.detail());
                lastFailure = failure;
                if (failure.sent() && !replay.replayAfterSent()) {
                    exchange.outcome = RequestOutcome.FAILED;
                    answers.notReplayed(ctx, deployment, failure);
                    return;
                }
                continue;
            }
            UpstreamResult.Response response = (UpstreamResult.Response) result;
            int status = response.status();
            if (status == 429) {
                Duration block = router.throttled(endpoint, response::header);
                exchange.attempts.add(new AttemptRecord(endpoint, status, AttemptOutcome.THROTTLED, toHeaders));
                log.throttled(endpoint, block);
                throttledHere = true;
                response.discard();
                router.finished(endpoint);
                continue;
            }
            router.observed(routed, status, response::header);
            Attempt attempt = new Attempt(routed, response, sent);
            if (status >= 500 || status == 401 || status == 403) {
                router.failed(endpoint);
                exchange.attempts.add(new AttemptRecord(endpoint, status, AttemptOutcome.FAILED, toHeaders));
                log.failed(endpoint, "HTTP " + status);
                if (status >= 500 && !replay.replayAfterSent()) {
                    // The account may have acted before it failed; its own answer is the honest one.
                    exchange.outcome = RequestOutcome.FAILED;
                    if (!relay(ctx, attempt)) {
                        answers.notReplayed(ctx, deployment, brokeBeforeBody());
                    }
                    return;
                }
                held = attempt;
                continue;
            }
            router.succeeded(routed);
            exchange.attempts.add(new AttemptRecord(endpoint, status, AttemptOutcome.SERVED, toHeaders));
            exchange.outcome = tried.size() == 1 ? RequestOutcome.SERVED : RequestOutcome.FAILED_OVER;
            if (relay(ctx, attempt)) {
                return;
            }
            // Nothing reached the client: an ordinary failed attempt, sent, so replayed only if the policy allows.
            router.failed(endpoint);
            exchange.attempts.set(exchange.attempts.size() - 1, new AttemptRecord(endpoint, status, AttemptOutcome.FAILED, toHeaders));
            log.failed(endpoint, "response broke before its first body byte");
            lastFailure = brokeBeforeBody();
            if (!replay.replayAfterSent()) {
                exchange.outcome = RequestOutcome.FAILED;
                answers.notReplayed(ctx, deployment, lastFailure);
                return;
            }
        }
    }

    private static UpstreamResult.Failure brokeBeforeBody() {
        return new UpstreamResult.Failure(UpstreamResult.Kind.TRANSPORT, "response broke before its first body byte", true);
    }

    /** How one attempt went, for the metrics; a name no account has confirmed is labelled "other", so junk cannot grow them. */
    private record AttemptRecord(Endpoint endpoint, int status, AttemptOutcome outcome, Duration toHeaders) {}

    /** An attempt whose response headers arrived. */
    private record Attempt(RouteDecision.Attempt routed, UpstreamResult.Response response, long sentNanos) {
        Endpoint endpoint() {
            return routed.endpoint();
        }
    }

    /** @return false when the backend broke before anything reached the client, which is then untouched */
    private boolean relay(Context ctx, Attempt attempt) {
        Endpoint endpoint = attempt.endpoint();
        String contentType = attempt.response.header("Content-Type");
        boolean stream = contentType != null && contentType.startsWith("text/event-stream");
        boolean plain = attempt.response.header("Content-Encoding") == null;
        UsageScanner usage = new UsageScanner();
        if (stream) {
            metrics.streamOpened();
        }
        try {
            ResponseRelay.Result result = relay.relay(attempt.response, ctx.res(), new String[] {BACKEND_HEADER, endpoint.backend().name()}, usage);
            switch (result.ending()) {
                case COMPLETE -> {
                    Endpoint known = router.known(endpoint);
                    if (plain && known != null) {
                        usage.usage().ifPresent(u -> metrics.tokens(known, u.promptTokens(), u.completionTokens()));
                    }
                }
                case BROKE_BEFORE_BODY -> {
                    return false;
                }
                case UPSTREAM_BROKE -> {
                    log.streamBroken(endpoint, result.bytes(), result.cause());
                    abortClientResponse(ctx);
                    // Too late to retry this request, but the next ones should go elsewhere for a while.
                    router.failed(endpoint);
                }
                case CLIENT_GONE -> log.clientGone(endpoint, result.bytes());
            }
            return true;
        } finally {
            if (stream) {
                metrics.streamClosed();
            }
            metrics.relayed(endpoint, Duration.ofNanos(System.nanoTime() - attempt.sentNanos));
            router.finished(endpoint);
        }
    }

    /**
     * Breaks the client's connection so a cut-off body can never look complete: a chunked body
     * lacks its final chunk, a sized one is short. Closing the socket, rather than aborting the
     * servlet channel, leaves the framework's request bookkeeping intact, so the cut is the only
     * thing anyone sees. An HTTP/1.0 client cannot be sent chunks, and its unsized body ends where
     * the connection closes; it gets a TCP reset instead of a close, which its stack reports as an
     * error rather than an end.
     */
    private static void abortClientResponse(Context ctx) {
        ServletContextRequest request = ServletContextRequest.getServletContextRequest(ctx.req());
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        if (request.getConnectionMetaData().getHttpVersion() == HttpVersion.HTTP_1_0 && endPoint instanceof SocketChannelEndPoint socket) {
            try {
                socket.getChannel().setOption(StandardSocketOptions.SO_LINGER, 0);
            } catch (java.io.IOException | RuntimeException e) {
                // The close below still cuts the response; only the reset is lost.
            }
        }
        endPoint.close();
    }


    /** Answers 401/403/503 itself when the caller may not in; shared with the status endpoints. */
    static boolean authorized(Context ctx, InboundAuth auth) {
        AuthResult result = auth.authenticate(ctx::header);
        if (result instanceof AuthResult.Allowed) {
            return true;
        }
        if (result instanceof AuthResult.Rejected rejected) {
            if (rejected.status() == 401) {
                ctx.header("WWW-Authenticate", "Bearer");
            } else if (rejected.status() == 503) {
                ctx.header("Retry-After", "5");
            }
            ErrorResponses.send(ctx, rejected.status(), rejected.code(), rejected.message());
        } else {
            ctx.header("WWW-Authenticate", "Bearer");
            ErrorResponses.send(ctx, 401, "missing_credentials", "This proxy requires authentication.");
        }
        return false;
    }

    private static HttpFields forwardedHeaders(HttpServletRequest req) {
        Set<String> connectionTokens = HeaderPolicy.connectionTokens(Collections.list(req.getHeaders("Connection")));
        HttpFields.Mutable headers = HttpFields.build();
        for (String name : Collections.list(req.getHeaderNames())) {
            if (HeaderPolicy.forwardsRequestHeader(name, connectionTokens)) {
                for (String value : Collections.list(req.getHeaders(name))) {
                    headers.add(name, value);
                }
            }
        }
        return headers.asImmutable();
    }

    private static String validTarget(String pathAndQuery) throws BadRequestException {
        try {
            URI.create("http://backend" + pathAndQuery);
            return pathAndQuery;
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(400, "invalid_path", "The request path or query is not a valid URI; percent-encode special characters.");
        }
    }
}
