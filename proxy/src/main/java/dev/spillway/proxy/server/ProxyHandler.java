package dev.spillway.proxy.server;

import dev.spillway.proxy.auth.AuthResult;
import dev.spillway.proxy.auth.InboundAuth;
import dev.spillway.proxy.forward.Forwarder;
import dev.spillway.proxy.forward.HeaderPolicy;
import dev.spillway.proxy.forward.UpstreamRequest;
import dev.spillway.proxy.forward.UpstreamResult;
import dev.spillway.proxy.observe.AttemptLog;
import dev.spillway.proxy.route.Endpoint;
import dev.spillway.proxy.route.RouteDecision;
import dev.spillway.proxy.route.Router;
import io.javalin.http.Context;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;

/**
 * Proxies one {@code /openai/**} request: authenticate, buffer the body, then try endpoints as the
 * {@link Router} directs until one answers with something the client should see, and stream that
 * answer back. The rules (from DESIGN.md): 429 blocks the endpoint and moves on; 5xx, 401/403 and
 * transport failures cool the backend down and move on; any other answer goes to the client as
 * is; each endpoint is tried at most once; nothing is retried once a byte has reached the client.
 */
final class ProxyHandler {

    static final String BACKEND_HEADER = "x-spillway-backend";

    private final InboundAuth auth;
    private final RequestBodyReader bodies;
    private final DeploymentResolver deployments;
    private final Router router;
    private final Forwarder forwarder;
    private final AttemptLog log;

    ProxyHandler(InboundAuth auth, RequestBodyReader bodies, DeploymentResolver deployments, Router router,
                 Forwarder forwarder, AttemptLog log) {
        this.auth = auth;
        this.bodies = bodies;
        this.deployments = deployments;
        this.router = router;
        this.forwarder = forwarder;
        this.log = log;
    }

    void handle(Context ctx) throws IOException {
        AuthResult authResult = auth.authenticate(ctx::header);
        if (!(authResult instanceof AuthResult.Allowed)) {
            refuse(ctx, authResult);
            return;
        }
        HttpServletRequest req = ctx.req();
        UpstreamRequest request;
        String deployment;
        try {
            byte[] body = bodies.read(req);
            String rawPath = req.getRequestURI();
            deployment = deployments.resolve(rawPath, req.getContentType(), body);
            String pathAndQuery = req.getQueryString() == null ? rawPath : rawPath + "?" + req.getQueryString();
            request = new UpstreamRequest(req.getMethod(), validTarget(pathAndQuery), forwardedHeaders(req), body);
        } catch (BadRequestException e) {
            ErrorResponses.send(ctx, e.status(), e.code(), e.getMessage());
            return;
        }
        route(ctx, deployment, request);
    }

    private void route(Context ctx, String deployment, UpstreamRequest request) throws IOException {
        Set<Endpoint> tried = new HashSet<>();
        UpstreamResult.Response held = null;
        Endpoint heldFrom = null;
        UpstreamResult.Failure lastFailure = null;
        boolean throttledHere = false;
        while (true) {
            RouteDecision decision = router.next(deployment, tried);
            if (decision instanceof RouteDecision.Exhausted exhausted) {
                if (held != null) {
                    // The last backend's own error says more than anything the proxy could make up.
                    relay(ctx, heldFrom, held);
                } else {
                    exhausted(ctx, deployment, exhausted.availableAtMillis(), tried.isEmpty() || throttledHere, lastFailure);
                }
                return;
            }
            if (held != null) {
                held.discard();
                held = null;
            }
            Endpoint endpoint = ((RouteDecision.Attempt) decision).endpoint();
            tried.add(endpoint);
            log.attempt(endpoint, request.pathAndQuery(), tried.size());
            UpstreamResult result = forwarder.send(endpoint, request);
            if (result instanceof UpstreamResult.Failure failure) {
                router.failed(endpoint);
                log.failed(endpoint, failure.kind() == UpstreamResult.Kind.TIMEOUT ? failure.detail() : AttemptLog.words(failure.kind()) + ": " + failure.detail());
                lastFailure = failure;
                continue;
            }
            UpstreamResult.Response response = (UpstreamResult.Response) result;
            int status = response.status();
            if (status == 429) {
                Duration block = router.throttled(endpoint, response::header);
                log.throttled(endpoint, block);
                throttledHere = true;
                response.discard();
                continue;
            }
            if (status >= 500 || status == 401 || status == 403) {
                router.failed(endpoint);
                log.failed(endpoint, "HTTP " + status);
                held = response;
                heldFrom = endpoint;
                continue;
            }
            router.succeeded(endpoint);
            relay(ctx, endpoint, response);
            return;
        }
    }

    /** Streams the backend's answer to the client as it arrives; from here on nothing is retried. */
    private void relay(Context ctx, Endpoint endpoint, UpstreamResult.Response response) {
        HttpServletResponse res = ctx.res();
        res.setStatus(response.status());
        Set<String> seen = new HashSet<>();
        for (HttpField field : response.headers()) {
            String name = field.getName();
            if (HeaderPolicy.forwardsResponseHeader(name)) {
                // The first value replaces any default the server framework set (Content-Type); later ones add.
                if (seen.add(name.toLowerCase(Locale.ROOT))) {
                    res.setHeader(name, field.getValue());
                } else {
                    res.addHeader(name, field.getValue());
                }
            }
        }
        res.setHeader(BACKEND_HEADER, endpoint.backend().name());
        byte[] buffer = new byte[8192];
        long relayed = 0;
        try (InputStream in = response.body()) {
            ServletOutputStream out = res.getOutputStream();
            while (true) {
                int read;
                try {
                    read = in.read(buffer);
                } catch (IOException | RuntimeException upstreamBroke) {
                    log.streamBroken(endpoint, relayed, upstreamBroke);
                    abortClientResponse(ctx);
                    return;
                }
                if (read < 0) {
                    break;
                }
                try {
                    out.write(buffer, 0, read);
                    // Flushing every read is what makes SSE pass through chunk by chunk.
                    out.flush();
                } catch (IOException clientGone) {
                    log.clientGone(endpoint, relayed);
                    return; // closing the upstream stream (try-with-resources) aborts the backend request
                }
                relayed += read;
            }
        } catch (IOException closing) {
            // Closing a finished upstream stream failed: the client already has everything.
        }
    }

    /**
     * Breaks the client's connection so a cut-off body can never look complete (no final chunk).
     * Closing the socket, rather than aborting the servlet channel, leaves the framework's request
     * bookkeeping intact, so the cut is the only thing anyone sees.
     */
    private static void abortClientResponse(Context ctx) {
        ServletContextRequest.getServletContextRequest(ctx.req()).getConnectionMetaData().getConnection().getEndPoint().close();
    }

    private void exhausted(Context ctx, String deployment, long availableAtMillis, boolean throttled, UpstreamResult.Failure lastFailure) {
        String target = deployment.isEmpty() ? "this request" : "deployment '" + deployment + "'";
        if (throttled || lastFailure == null) {
            long waitMillis = Math.max(0, availableAtMillis - router.nowMillis());
            long waitSeconds = Math.max(1, (waitMillis + 999) / 1000);
            ctx.header("Retry-After", Long.toString(waitSeconds));
            ctx.header("retry-after-ms", Long.toString(waitMillis));
            log.exhausted(deployment, 429, waitMillis);
            ErrorResponses.send(ctx, 429, "429", "Every backend for " + target + " is rate limited. Please retry after "
                    + waitSeconds + " seconds.");
            return;
        }
        log.exhausted(deployment, lastFailure.kind() == UpstreamResult.Kind.TIMEOUT ? 504 : 502, 0);
        switch (lastFailure.kind()) {
            case TIMEOUT -> ErrorResponses.send(ctx, 504, "backend_timeout", "No backend answered " + target
                    + " in time. Retry later; if this persists, the proxy's SPILLWAY_HEADERS_TIMEOUT_MS may be too short.");
            case CREDENTIAL -> ErrorResponses.send(ctx, 502, "backend_credential_unavailable", "The proxy could not get "
                    + "a token for its backends. Check its managed identity (AZURE_CLIENT_ID) and role assignments.");
            default -> ErrorResponses.send(ctx, 502, "backend_unavailable", "No backend could be reached for " + target
                    + ". Retry later.");
        }
    }

    private static void refuse(Context ctx, AuthResult result) {
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
    }

    private static HttpFields forwardedHeaders(HttpServletRequest req) {
        Set<String> connectionTokens = HeaderPolicy.connectionTokens(req.getHeader("Connection"));
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
