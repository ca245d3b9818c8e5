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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Sends one attempt to one backend and hands back the response as soon as its headers arrive, with
 * the body still streaming. It knows nothing of routing: the caller decides what an outcome means.
 */
public final class Forwarder implements AutoCloseable {

    private final HttpClient client;
    private final Duration headersTimeout;
    private final Map<String, BackendCredential> credentials;

    /** @param credentials backend name to the credential that backend needs */
    public Forwarder(Duration connectTimeout, Duration headersTimeout, Map<String, BackendCredential> credentials) {
        this.headersTimeout = headersTimeout;
        this.credentials = Map.copyOf(credentials);
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("spillway-upstream");
        HttpClient http = new HttpClient();
        http.setExecutor(threads);
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
        // Pass bodies through as the backend encoded them, and keep no cookies between clients.
        http.getContentDecoderFactories().clear();
        http.setHttpCookieStore(new HttpCookieStore.Empty());
        try {
            http.start();
        } catch (Exception e) {
            throw new IllegalStateException("could not start the upstream HTTP client", e);
        }
        // Start-up installs handlers for redirects, 100-continue and authentication challenges; a proxy
        // must hand every such response to its client (or its own failover logic) as it came.
        http.getProtocolHandlers().clear();
        this.client = http;
    }

    /** Sends the request and waits, at most the headers timeout, for the response headers. */
    public UpstreamResult send(Endpoint endpoint, UpstreamRequest request) {
        URI target = URI.create(endpoint.backend().url() + request.pathAndQuery());
        BackendCredential credential = credentials.get(endpoint.backend().name());
        Request outgoing;
        try {
            outgoing = client.newRequest(target)
                    .method(request.method())
                    .headers(headers -> {
                        headers.add(request.headers());
                        if (credential != null) {
                            credential.authorize(headers);
                        }
                    });
        } catch (CredentialUnavailableException e) {
            return new UpstreamResult.Failure(UpstreamResult.Kind.CREDENTIAL, e.getMessage(), false);
        }
        // Set once the request starts to be written on a connection: before that, it cannot have reached the backend.
        AtomicBoolean began = new AtomicBoolean();
        outgoing.onRequestBegin(r -> began.set(true));
        if (request.body().length > 0) {
            String contentType = request.headers().get("Content-Type");
            outgoing.body(new BytesRequestContent(contentType, request.body()));
        }
        InputStreamResponseListener listener = new InputStreamResponseListener();
        outgoing.send(listener);
        try {
            org.eclipse.jetty.client.Response response = listener.get(headersTimeout.toMillis(), TimeUnit.MILLISECONDS);
            return new UpstreamResult.Response(response.getStatus(), response.getHeaders(), listener.getInputStream(), client.getScheduler());
        } catch (TimeoutException e) {
            outgoing.abort(e);
            return new UpstreamResult.Failure(UpstreamResult.Kind.TIMEOUT,
                    "no response headers within " + headersTimeout.toMillis() + " ms", began.get());
        } catch (ExecutionException e) {
            return failure(e.getCause(), began.get(), headersTimeout);
        } catch (InterruptedException e) {
            outgoing.abort(e);
            Thread.currentThread().interrupt();
            return new UpstreamResult.Failure(UpstreamResult.Kind.TRANSPORT, "interrupted", began.get());
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
