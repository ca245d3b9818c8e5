package dev.spillway.simulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spillway.simulator.api.AccountObjects;
import dev.spillway.simulator.api.Batches;
import dev.spillway.simulator.api.Files;
import dev.spillway.simulator.api.Models;
import dev.spillway.simulator.api.ObjectApi;
import dev.spillway.simulator.api.Responses;
import dev.spillway.simulator.quota.DeploymentQuota;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.HandlerType;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;

/**
 * One simulated Azure OpenAI account on a local port. Start it from a test with
 * {@code Simulator.start(SimulatorOptions.defaults())}, point the proxy at {@link #url()}, then read
 * {@link #traffic()} and flip {@link #faults()}. Each account holds its own objects (responses,
 * files, batches) in memory: an id handed out by one is unknown to every other.
 */
public final class Simulator implements AutoCloseable {

    private final Javalin app;
    private final Faults faults;
    private final Traffic traffic;
    private final int port;

    private Simulator(Javalin app, Faults faults, Traffic traffic) {
        this.app = app;
        this.faults = faults;
        this.traffic = traffic;
        this.port = app.port();
    }

    public static Simulator start(SimulatorOptions options) {
        return start(options, InstantSource.system());
    }

    public static Simulator start(SimulatorOptions options, InstantSource clock) {
        ObjectMapper json = new ObjectMapper();
        Map<String, DeploymentQuota> quotas = new HashMap<>();
        options.deployments().forEach((name, tpm) -> quotas.put(name, new DeploymentQuota(tpm, clock)));
        Faults faults = new Faults();
        Traffic traffic = new Traffic();
        ModelGate gate = new ModelGate(options, Map.copyOf(quotas), faults, traffic, clock);
        AccountObjects objects = new AccountObjects();
        Responses responses = new Responses(objects, clock);
        Map<String, ObjectApi> objectApis = Map.of(
                "responses", responses,
                "files", new Files(objects, clock),
                "batches", new Batches(objects, json, clock),
                "models", new Models(options.deployments().keySet(), clock.instant().getEpochSecond()));
        AccountHandler handler = new AccountHandler(options, gate, responses, objectApis, faults, traffic, json);
        Javalin app = Javalin.create(config -> {
            config.concurrency.useVirtualThreads = true;
            config.http.compressionStrategy = CompressionStrategy.NONE;
            config.startup.showJavalinBanner = false;
            config.jetty.addConnector((server, http) -> {
                ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
                connector.setHost("127.0.0.1");
                connector.setPort(options.port());
                connector.setAcceptQueueSize(4096);
                return connector;
            });
            for (HandlerType method : new HandlerType[] {HandlerType.GET, HandlerType.POST, HandlerType.PUT, HandlerType.DELETE, HandlerType.PATCH}) {
                config.routes.addHttpHandler(method, "/openai/*", handler::handle);
            }
        });
        app.start();
        return new Simulator(app, faults, traffic);
    }

    public int port() {
        return port;
    }

    /** The account's endpoint, as Azure gives it: {@code http://127.0.0.1:PORT}. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public Faults faults() {
        return faults;
    }

    public Traffic traffic() {
        return traffic;
    }

    /** Close the listening socket: new connections are refused until {@link #acceptConnections()}. */
    public void refuseConnections() {
        for (Connector connector : app.jettyServer().server().getConnectors()) {
            try {
                connector.stop();
            } catch (Exception e) {
                throw new IllegalStateException("could not stop the simulator's connector", e);
            }
        }
    }

    /** Reopens the port if {@link #refuseConnections()} closed it; otherwise does nothing. */
    public void acceptConnectionsIfRefused() {
        for (Connector connector : app.jettyServer().server().getConnectors()) {
            if (!connector.isRunning()) {
                acceptConnections();
                return;
            }
        }
    }

    public void acceptConnections() {
        for (Connector connector : app.jettyServer().server().getConnectors()) {
            try {
                ((ServerConnector) connector).setPort(port);
                connector.start();
            } catch (Exception e) {
                throw new IllegalStateException("could not reopen port " + port, e);
            }
        }
    }

    @Override
    public void close() {
        app.stop();
    }
}
