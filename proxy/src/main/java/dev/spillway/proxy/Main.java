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
        int port = server.start(config.port());
        Logger log = LoggerFactory.getLogger("dev.spillway.proxy");
        log.info("Spillway listening on port {} with {} backends: {}", port, config.backends().size(),
                config.backends().stream().map(b -> b.name() + "=" + b.url() + " (priority " + b.priority() + ")").toList());
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "spillway-shutdown"));
    }
}
