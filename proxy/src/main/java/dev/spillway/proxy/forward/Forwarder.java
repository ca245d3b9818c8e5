package dev.spillway.proxy.forward;

import dev.spillway.proxy.route.Endpoint;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContinueProtocolHandler;
import org.eclipse.jetty.client.EarlyHintsProtocolHandler;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.ProcessingProtocolHandler;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.io.Content;

/**
 * Sends one attempt to one backend and hands back the response as soon as its headers arrive, with
 * the body still to be read as it comes. Nothing waits: the answer is a callback, on the thread
 * that received the headers. It knows nothing of routing: the caller decides what an outcome means.
 */
public final class Forwarder implements AutoCloseable {

    private final HttpClient client;
    private final Duration headersTimeout;
    private final Map<String, BackendCredential> credentials;

    /**
     * @param credentials backend name to the credential that backend needs
     * @param io          threads, buffers and timers shared with the server, so one pool runs both sides of every
     *                    exchange and a chunk read from a backend is written to the client from the same buffer
     */
    public Forwarder(Duration connectTimeout, Duration headersTimeout, Map<String, BackendCredential> credentials, SharedIo io) {
        this.headersTimeout = headersTimeout;
        this.credentials = Map.copyOf(credentials);
        HttpClient http = new HttpClient();
        http.setExecutor(io.threads());
        http.setByteBufferPool(io.buffers());
        http.setScheduler(io.scheduler());
        http.setConnectTimeout(connectTimeout.toMillis());
        // Silence longer than the headers timeout, before the headers or in the middle of a stream, means a dead backend.
        http.setIdleTimeout(headersTimeout.toMillis());
        http.setMaxConnectionsPerDestination(16_384);
        http.setMaxRequestsQueuedPerDestination(16_384);
        http.setFollowRedirects(false);
        // As on the server side: heap buffers, modest sizes, so open streams cost little and count against -Xmx.
        http.setUseInputDirectByteBuffers(false);
        http.setUseOutputDirectByteBuffers(false);
        http.setResponseBufferSize(8 * 1024);
        http.setUserAgentField(null);
        // Keep no cookies between clients.
        http.setHttpCookieStore(new HttpCookieStore.Empty());
        io.lendTo(http);
        try {
            http.start();
        } catch (Exception e) {
            throw new IllegalStateException("could not start the upstream HTTP client", e);
        }
        // Start-up installs handlers for redirects, 100-continue and authentication challenges; a proxy
        // must hand every such response to its client (or its own failover logic) as it came. Interim
        // answers (100, 102, 103) are the exception: without their handlers an exchange that receives one
        // never reaches its final answer, so they are put back to pass over them.
        http.getProtocolHandlers().clear();
        // Pass bodies through as the backend encoded them: start-up installs the decoders found on the
        // class path (gzip), which would add Accept-Encoding to every request and decode the answers.
        http.getContentDecoderFactories().clear();
        http.getProtocolHandlers().put(new ContinueProtocolHandler());
        http.getProtocolHandlers().put(new ProcessingProtocolHandler());
        http.getProtocolHandlers().put(new EarlyHintsProtocolHandler());
        this.client = http;
    }

    /**
     * Sends the request; {@code outcome} receives, exactly once, the response (at its headers) or
     * the failure, at most the headers timeout later.
     */
    public void send(Endpoint endpoint, UpstreamRequest request, Consumer<UpstreamResult> outcome) {
        send(endpoint, request, null, outcome);
    }

    /**
     * As {@link #send(Endpoint, UpstreamRequest, Consumer)}, for a short exchange that must end,
     * body and all, within {@code total}; returns what abandons it early.
     */
    public Runnable send(Endpoint endpoint, UpstreamRequest request, Duration total, Consumer<UpstreamResult> outcome) {
        BackendCredential credential = credentials.get(endpoint.backend().name());
        Request outgoing;
        try {
            outgoing = client.newRequest(target(endpoint.backend().url(), request.target()))
                    .method(request.method())
                    .headers(headers -> {
                        headers.add(request.headers());
                        if (credential != null) {
                            credential.authorize(headers);
                        }
                    });
        } catch (CredentialUnavailableException e) {
            outcome.accept(new UpstreamResult.Failure(UpstreamResult.Kind.CREDENTIAL, e.getMessage(), false));
            return () -> { };
        }
        if (request.body().length > 0) {
            outgoing.body(new BytesRequestContent(request.headers().get("Content-Type"), request.body()));
        }
        if (total != null) {
            outgoing.timeout(total.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        new Attempt(outgoing, outcome).send();
        return () -> outgoing.abort(new java.util.concurrent.CancellationException("no longer needed"));
    }

    /**
     * The backend's URL with the request's path and query: resolved from parsed parts, so the
     * target is parsed once per request, not once per attempt.
     */
    private static URI target(URI backend, URI pathAndQuery) {
        String basePath = backend.getRawPath();
        return basePath == null || basePath.isEmpty() ? backend.resolve(pathAndQuery) : URI.create(backend + pathAndQuery.toString());
    }

    /**
     * One exchange's listener: the headers or a failure, whichever comes first, decides. No timer
     * per attempt: the client's idle timeout equals the headers timeout, so a backend that sends no
     * headers for that long fails the exchange like any silent connection.
     */
    private final class Attempt implements org.eclipse.jetty.client.Response.Listener {
        private final Request outgoing;
        private final Consumer<UpstreamResult> outcome;
        private final AtomicBoolean decided = new AtomicBoolean();
        // Set once the request starts to be written on a connection: before that, it cannot have reached the backend.
        private volatile boolean began;

        Attempt(Request outgoing, Consumer<UpstreamResult> outcome) {
            this.outgoing = outgoing;
            this.outcome = outcome;
        }

        void send() {
            outgoing.onRequestBegin(r -> began = true);
            outgoing.send(this);
        }

        @Override
        public void onContentSource(org.eclipse.jetty.client.Response response, Content.Source body) {
            if (decided.compareAndSet(false, true)) {
                outcome.accept(new UpstreamResult.Response(response, body, client.getScheduler()));
            }
        }

        @Override
        public void onComplete(Result result) {
            if (result.isFailed() && decided.compareAndSet(false, true)) {
                outcome.accept(failure(result.getFailure(), began, headersTimeout));
            }
        }
    }

    private static UpstreamResult.Failure failure(Throwable cause, boolean sent, Duration headersTimeout) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException || t instanceof NoRouteToHostException
                    || t instanceof UnresolvedAddressException) {
                return new UpstreamResult.Failure(UpstreamResult.Kind.CONNECT, describe(t), sent);
            }
            // Jetty's connect timeout; its idle timeout (a silent backend once connected) is a plain TimeoutException.
            if (t instanceof SocketTimeoutException) {
                return new UpstreamResult.Failure(UpstreamResult.Kind.CONNECT, "connect timeout", sent);
            }
            // The idle timeout equals the headers timeout, so it may fire first: the same failure, said the same way.
            if (t instanceof TimeoutException) {
                return new UpstreamResult.Failure(UpstreamResult.Kind.TIMEOUT,
                        "no response headers within " + headersTimeout.toMillis() + " ms", sent);
            }
            if (t instanceof CredentialUnavailableException) {
                return new UpstreamResult.Failure(UpstreamResult.Kind.CREDENTIAL, t.getMessage(), sent);
            }
        }
        return new UpstreamResult.Failure(UpstreamResult.Kind.TRANSPORT, describe(cause), sent);
    }

    private static String describe(Throwable t) {
        return t == null ? "unknown" : t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    @Override
    public void close() {
        try {
            client.stop();
        } catch (Exception e) {
            // Shutting down; nothing useful to do.
        }
    }
}
