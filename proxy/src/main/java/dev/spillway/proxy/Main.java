package dev.spillway.proxy;

import dev.spillway.proxy.config.ConfigException;
import dev.spillway.proxy.config.ProxyConfig;
import dev.spillway.proxy.config.ProxyConfigReader;
import dev.spillway.proxy.server.ProxyServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar spillway-proxy.jar}: configured entirely by environment variables (see DESIGN.md). */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        ProxyConfig config;
        ProxyServer server;
        try {
            config = new ProxyConfigReader().read(System.getenv());
            server = Spillway.assemble(config, Spillway.azureCredential(config));
        } catch (ConfigException e) {
            System.err.println("spillway: configuration error: " + e.getMessage());
            System.exit(2);
            return;
        }
        int port;
        try {
            port = server.start(config.port());
        } catch (RuntimeException e) {
            System.err.println("spillway: cannot listen on port " + config.port() + ": " + rootMessage(e));
            System.exit(1);
            return;
        }
        Logger log = LoggerFactory.getLogger("dev.spillway.proxy");
        log.info("Spillway listening on port {} with {} backends: {}", port, config.backends().size(),
                config.backends().stream().map(b -> b.name() + "=" + b.url() + " (priority " + b.priority() + ")").toList());
        onTermination(() -> {
            try {
                server.drainAndStop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // A drained shutdown is a clean one: exit 0, not the 143 a default SIGTERM exit reports.
            System.exit(0);
        });
    }

    /**
     * SIGTERM (Container Apps scaling in, a new revision) and SIGINT (Ctrl-C) start the drain on a
     * thread of its own; a second signal while draining changes nothing.
     */
    @SuppressWarnings("restriction")
    private static void onTermination(Runnable drain) {
        java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
        sun.misc.SignalHandler handler = signal -> {
            if (started.compareAndSet(false, true)) {
                Thread.ofPlatform().name("spillway-drain").start(drain);
            }
        };
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), handler);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
