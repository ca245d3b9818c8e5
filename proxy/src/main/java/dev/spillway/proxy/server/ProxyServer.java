package dev.spillway.proxy.server;

import dev.spillway.proxy.auth.InboundAuth;
import dev.spillway.proxy.forward.Forwarder;
import dev.spillway.proxy.forward.ResponseRelay;
import dev.spillway.proxy.observe.AttemptLog;
import dev.spillway.proxy.observe.BackendsReport;
import dev.spillway.proxy.observe.ProxyMetrics;
import dev.spillway.proxy.route.Router;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's HTTP surface: {@code /openai/**} forwarded, {@code /healthz} and {@code /readyz}
 * without auth, and a JSON 404 for anything else.
 */
public final class ProxyServer implements AutoCloseable {

    private static final HandlerType[] PROXIED_METHODS = {
        HandlerType.GET, HandlerType.POST, HandlerType.PUT, HandlerType.PATCH, HandlerType.DELETE, HandlerType.HEAD, HandlerType.OPTIONS
    };
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final Javalin app;
    private final Forwarder forwarder;
    private final AtomicBoolean ready = new AtomicBoolean();

    /**
     * @param host where to listen, such as {@code 0.0.0.0}
     * @param maxBodyBytes request bodies over this size get 413
     */
    public ProxyServer(String host, InboundAuth auth, Router router, Forwarder forwarder, long maxBodyBytes,
                       ProxyMetrics metrics, BackendsReport backends) {
        this.forwarder = forwarder;
        ProxyHandler proxy = new ProxyHandler(auth, new RequestBodyReader(maxBodyBytes), new RequestInspector(), router,
                forwarder, new ResponseRelay(), new AttemptLog(), metrics);
        this.app = Javalin.create(config -> {
            config.concurrency.useVirtualThreads = true;
            config.http.compressionStrategy = CompressionStrategy.NONE;
            config.startup.showJavalinBanner = false;
            config.jetty.host = host;
            config.jetty.modifyHttpConfiguration(http -> {
                http.setSendServerVersion(false);
                http.setSendXPoweredBy(false);
            });
            config.routes.get("/healthz", ctx -> ctx.contentType("application/json").result("{\"status\":\"ok\"}"));
            config.routes.get("/readyz", this::readiness);
            config.routes.get("/metrics", ctx -> {
                if (ProxyHandler.authorized(ctx, auth)) {
                    ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
                }
            });
            config.routes.get("/backends", ctx -> {
                if (ProxyHandler.authorized(ctx, auth)) {
                    ctx.contentType("application/json").result(backends.render());
                }
            });
            for (HandlerType method : PROXIED_METHODS) {
                config.routes.addHttpHandler(method, "/openai/*", proxy::handle);
            }
            for (HandlerType method : PROXIED_METHODS) {
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

    /** Starts listening; returns the bound port (useful with port 0). */
    public int start(int port) {
        app.start(port);
        ready.set(true);
        return app.port();
    }

    public int port() {
        return app.port();
    }

    private void readiness(Context ctx) {
        if (ready.get()) {
            ctx.contentType("application/json").result("{\"status\":\"ready\"}");
        } else {
            ErrorResponses.send(ctx, 503, "not_ready", "The proxy is not accepting work right now.");
        }
    }

    private static void notFound(Context ctx) {
        ErrorResponses.send(ctx, 404, "not_found", "No route for " + ctx.method() + " " + ctx.path()
                + ". This proxy serves the Azure OpenAI API under /openai/ (and /healthz, /readyz).");
    }

    @Override
    public void close() {
        ready.set(false);
        app.stop();
        forwarder.close();
    }
}
