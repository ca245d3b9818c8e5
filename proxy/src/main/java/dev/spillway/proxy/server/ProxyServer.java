package dev.spillway.proxy.server;

import dev.spillway.proxy.auth.InboundAuth;
import dev.spillway.proxy.budget.CallerBudgets;
import dev.spillway.proxy.budget.CallersReport;
import dev.spillway.proxy.config.ProxyConfig;
import dev.spillway.proxy.forward.Forwarder;
import dev.spillway.proxy.forward.ResponseRelay;
import dev.spillway.proxy.forward.SharedIo;
import dev.spillway.proxy.observe.AttemptLog;
import dev.spillway.proxy.observe.BackendsReport;
import dev.spillway.proxy.observe.ProxyMetrics;
import dev.spillway.proxy.route.Router;
import dev.spillway.proxy.state.ObjectHomes;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.HashSet;
import java.util.Set;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's HTTP surface: {@code /openai/**} forwarded; {@code /healthz} and {@code /readyz}
 * without auth; {@code /metrics} and {@code /backends} behind the same auth as {@code /openai/**};
 * a JSON 404 for anything else. Also owns the listening socket's limits and the drain on shutdown.
 */
public final class ProxyServer implements AutoCloseable {

    private static final HandlerType[] ANY_METHOD = {
        HandlerType.GET, HandlerType.POST, HandlerType.PUT, HandlerType.PATCH, HandlerType.DELETE, HandlerType.HEAD, HandlerType.OPTIONS
    };
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
    private static final java.time.Duration SETTLE = java.time.Duration.ofMillis(500);

    private final Javalin app;
    private final Forwarder forwarder;
    private final Drain drain = new Drain();
    private final ProxyConfig.Limits limits;
    private final SharedIo io;
    private volatile int requestedPort;

    /**
     * @param host         where to listen, such as {@code 0.0.0.0}
     * @param maxBodyBytes request bodies over this size get 413
     * @param io           the thread and buffer pools, shared with the forwarder's client
     * @param waiting      how long a request may be held for an account to have room
     * @param homes        where the objects that clients create live, as learned from the answers
     * @param budgets      the named callers' token budgets
     */
    /** The connection to the store replicas share, closed with the server; a no-op without one. */
    private final AutoCloseable sharedState;

    public ProxyServer(String host, InboundAuth inbound, Router router, Forwarder forwarder, long maxBodyBytes,
                       ProxyConfig.Limits limits, ProxyConfig.Waiting waiting, ProxyMetrics metrics, BackendsReport backends,
                       SharedIo io, ObjectHomes homes, CallerBudgets budgets, AutoCloseable sharedState) {
        this.forwarder = forwarder;
        this.sharedState = sharedState;
        this.limits = limits;
        this.io = io;
        AttemptLog attemptLog = new AttemptLog();
        AuthGate auth = new AuthGate(inbound);
        PendingRequests pending = new PendingRequests(router, io.scheduler(), io.threads(), waiting.maxWait(), waiting.maxQueuedPerDeployment(),
                limits.maxConcurrentRequests(), metrics);
        OpenAiHandler openAi = new OpenAiHandler(auth, new RequestBodyReader(maxBodyBytes, limits.bodyTimeout(), io.scheduler()),
                new RequestInspector(), new FailoverLoop.Parts(router, forwarder, new ResponseRelay(), attemptLog,
                new FailoverAnswers(attemptLog), metrics, homeResolver(router, forwarder, metrics, homes), pending), drain,
                limits.maxConcurrentRequests(), budgets);
        CallersReport callers = new CallersReport(budgets);
        this.app = Javalin.create(config -> {
            config.jetty.threadPool = io.threads();
            config.http.compressionStrategy = CompressionStrategy.NONE;
            config.startup.showJavalinBanner = false;
            // The forward path is a Jetty core handler ahead of the app: no servlet, session or routing
            // machinery per request. Javalin puts its own context after it in this sequence.
            config.jetty.modifyServer(server -> {
                server.setHandler(new Handler.Sequence(openAi));
                io.lendTo(server);
            });
            config.jetty.modifyHttpConfiguration(http -> {
                http.setSendServerVersion(false);
                http.setSendXPoweredBy(false);
                // Larger headers get 431 from Jetty before any handler runs.
                http.setRequestHeaderSize(limits.maxHeaderBytes());
                http.setOutputBufferSize(8 * 1024);
                http.setOutputAggregationSize(8 * 1024);
            });
            config.jetty.addConnector((server, http) -> {
                HttpConnectionFactory factory = new HttpConnectionFactory(http);
                // Heap buffers: thousands of open streams then count against -Xmx and the GC returns
                // them, instead of growing a native pool that the container's memory limit cannot see.
                factory.setUseInputDirectByteBuffers(false);
                factory.setUseOutputDirectByteBuffers(false);
                ServerConnector connector = new ServerConnector(server, io.threads(), io.scheduler(), io.buffers(), -1, -1, factory);
                io.lendTo(connector);
                connector.setHost(host);
                connector.setPort(requestedPort);
                // A client that sends nothing for this long (slow headers, a stalled body) is cut off. It never
                // holds a backend: the body is read in full before any backend is called.
                connector.setIdleTimeout(limits.clientIdleTimeout().toMillis());
                // The JDK's default backlog of 50 drops connections when thousands of clients arrive at once.
                connector.setAcceptQueueSize(4096);
                connector.addBean(new HeaderDeadline(connector, limits.clientHeaderTimeout()));
                // Past the cap the connector stops accepting: new connections wait in the accept queue, and
                // file descriptors and per-connection buffers stay bounded whatever clients do.
                server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
                server.setErrorHandler(new JsonErrorHandler());
                return connector;
            });
            // Before auth and before any route: a path that could mean something else to a backend is
            // refused whatever it would have matched (Jetty resolves dot segments before routing).
            config.routes.before(ctx -> {
                try {
                    CanonicalPath.parse(rawPath(ctx));
                } catch (BadRequestException e) {
                    ErrorResponses.send(ctx, e.status(), e.code(), e.getMessage());
                    ctx.skipRemainingHandlers();
                }
            });
            config.routes.get("/healthz", ctx -> ctx.contentType("application/json").result("{\"status\":\"ok\"}"));
            config.routes.get("/readyz", this::readiness);
            config.routes.get("/metrics", ctx -> {
                if (auth.authorized(ctx)) {
                    ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
                }
            });
            config.routes.get("/backends", ctx -> {
                if (auth.authorized(ctx)) {
                    ctx.contentType("application/json").result(backends.render(pending.depths()));
                }
            });
            config.routes.get("/callers", ctx -> {
                if (auth.authorized(ctx)) {
                    ctx.contentType("application/json").future(() -> callers.render().thenAccept(ctx::result).toCompletableFuture());
                }
            });
            for (HandlerType method : ANY_METHOD) {
                config.routes.addHttpHandler(method, "/*", ProxyServer::notFound);
            }
            config.routes.exception(Exception.class, (e, ctx) -> {
                log.error("Unexpected error on {} {}", ctx.method(), ctx.path(), e);
                if (!ctx.res().isCommitted()) {
                    ErrorResponses.send(ctx, 500, "internal_error", "The proxy hit an unexpected error; it has been logged.");
                }
            });
        });
    }

    /**
     * The path exactly as the request line sent it, percent-encoding and dot segments intact: what
     * Jetty decodes and normalises for routing is not what a backend would be sent.
     */
    private static String rawPath(Context ctx) {
        return ServletContextRequest.getServletContextRequest(ctx.req()).getHttpURI().getPath();
    }

    /** Starts listening; returns the bound port (useful with port 0). */
    public int start(int port) {
        requestedPort = port;
        app.start();
        drain.serving();
        return app.port();
    }

    public int port() {
        return app.port();
    }

    /**
     * The SIGTERM sequence: /readyz fails at once, new requests are still taken for the grace
     * period, then refused with 503, and what is in flight may finish within the drain timeout.
     */
    public void drainAndStop() throws InterruptedException {
        log.info("Draining: /readyz now fails; new requests refused in {} ms; waiting up to {} ms for {} in flight",
                limits.drainGrace().toMillis(), limits.drainTimeout().toMillis(), drain.inFlight());
        int left = drain.drain(limits.drainGrace(), limits.drainTimeout());
        if (left > 0) {
            log.warn("Drain timeout passed with {} requests still in flight; stopping anyway", left);
        } else {
            log.info("Drained: nothing in flight; stopping");
        }
        // Short answers (errors) are written just after their handler returns; let them reach the wire
        // before the server closes its connections.
        Thread.sleep(SETTLE.toMillis());
        close();
    }

    private void readiness(Context ctx) {
        if (drain.ready()) {
            ctx.contentType("application/json").result("{\"status\":\"ready\"}");
        } else {
            ErrorResponses.send(ctx, 503, "not_ready", drain.phase() == Drain.Phase.STARTING
                    ? "The proxy is starting." : "The proxy is shutting down; send new requests to another replica.");
        }
    }

    private static void notFound(Context ctx) {
        ErrorResponses.send(ctx, 404, "not_found", "No route for " + ctx.method() + " " + ctx.path()
                + ". This proxy serves the Azure OpenAI API under /openai/ (and /healthz, /readyz, /metrics, /backends, /callers).");
    }

    @Override
    public void close() {
        app.stop();
        forwarder.close();
        try {
            sharedState.close();
        } catch (Exception e) {
            // Shutting down; the store's connection goes with the process.
        }
        io.close();
    }

    private static HomeResolver homeResolver(Router router, Forwarder forwarder, ProxyMetrics metrics, ObjectHomes homes) {
        metrics.watchObjectHomes(homes);
        Set<String> backends = new HashSet<>();
        router.cluster().backends().forEach(backend -> backends.add(backend.name()));
        return new HomeResolver(homes, new HomeLookup(router, forwarder), metrics, backends);
    }

}
