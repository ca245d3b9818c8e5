package dev.spillway.proxy.server;

import dev.spillway.proxy.budget.Charge;
import dev.spillway.proxy.observe.ProxyMetrics;
import dev.spillway.proxy.observe.ProxyMetrics.AttemptOutcome;
import dev.spillway.proxy.observe.ProxyMetrics.RequestOutcome;
import dev.spillway.proxy.route.Endpoint;
import dev.spillway.proxy.route.Router;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One client request on the forward path, from admission to its end: the client's side of the
 * exchange, what it went through (for the metrics recorded when it ends), and its single ending.
 * Its steps run one after another, on whichever thread the last event came on.
 */
final class ClientExchange {

    /** How one attempt went, for the metrics; a name no account has confirmed is labelled "other", so junk cannot grow them. */
    record AttemptRecord(Endpoint endpoint, int status, AttemptOutcome outcome, Duration toHeaders) {}

    final Request request;
    final Response response;
    private final Callback callback;
    private final Drain drain;
    private final ProxyMetrics metrics;
    private final Router router;
    final Set<Endpoint> tried = new HashSet<>(4);
    final List<AttemptRecord> attempts = new ArrayList<>(2);
    String deployment = "";
    RequestOutcome outcome = RequestOutcome.REJECTED;
    /** What the caller's budget is charged; whatever did not settle it by the end was served nothing. */
    Charge charge = Charge.NONE;
    /** The proxy asked the account for the stream's usage, which the client did not ask for: it is taken out again. */
    boolean stripsUsage;
    private int status;

    ClientExchange(Request request, Response response, Callback callback, Drain drain, ProxyMetrics metrics, Router router) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.drain = drain;
        this.metrics = metrics;
        this.router = router;
    }

    /** The proxy's own answer ends the exchange. */
    void answer(ErrorAnswer answer) {
        status = answer.status();
        ErrorResponses.write(response, Callback.from(this::succeeded, this::failed), answer);
    }

    /** An answer read whole from an account (a lookup's 404), written as it came, with the proxy's own header. */
    void answerAsIs(int status, String contentType, byte[] body, HttpField extraHeader) {
        this.status = status;
        response.setStatus(status);
        if (contentType != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        }
        response.getHeaders().put(extraHeader);
        response.write(true, ByteBuffer.wrap(body), Callback.from(this::succeeded, this::failed));
    }

    /** A backend's answer is about to be relayed with this status. */
    void relaying(int status) {
        this.status = status;
    }

    /** Everything has been written; counted before Jetty completes the exchange, so a client that reads the metrics next sees it. */
    void succeeded() {
        ended();
        callback.succeeded();
    }

    /** The client's response cannot be completed (the client left, or what it was sent was cut off). */
    void failed(Throwable cause) {
        ended();
        callback.failed(cause);
    }

    /**
     * Breaks the client's connection so a cut-off body can never look complete: a chunked body
     * lacks its final chunk, a sized one is short. An HTTP/1.0 client cannot be sent chunks, and its
     * unsized body ends where the connection closes; it gets a TCP reset instead of a close, which
     * its stack reports as an error rather than an end.
     */
    void cutOff(Throwable cause) {
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        if (request.getConnectionMetaData().getHttpVersion() == HttpVersion.HTTP_1_0 && endPoint instanceof SocketChannelEndPoint socket) {
            try {
                socket.getChannel().setOption(StandardSocketOptions.SO_LINGER, 0);
            } catch (java.io.IOException | RuntimeException e) {
                // The close below still cuts the response; only the reset is lost.
            }
        }
        endPoint.close(cause);
        failed(cause);
    }

    private void ended() {
        charge.release();
        drain.exit();
        // Labelled now, not as they happened: a later attempt's success may have shown the deployment is real.
        for (AttemptRecord attempt : attempts) {
            Endpoint known = router.known(attempt.endpoint());
            metrics.attempted(known == null ? attempt.endpoint() : known, known != null, attempt.status(), attempt.outcome(), attempt.toHeaders());
        }
        String label = router.cluster().remembers(deployment) ? deployment : "other";
        metrics.requestEnded(label, status, outcome, tried.size());
    }
}
