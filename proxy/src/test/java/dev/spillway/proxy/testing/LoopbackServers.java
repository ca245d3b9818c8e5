package dev.spillway.proxy.testing;

import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The simulated accounts, hand-made backends and proxies a test starts on loopback, all closed after it:
 * {@code @RegisterExtension final LoopbackServers servers = new LoopbackServers();}
 */
public final class LoopbackServers implements AfterEachCallback {

    private final Accounts accounts = new Accounts();
    private final List<RunningProxy> proxies = new ArrayList<>();
    private final List<AutoCloseable> backends = new ArrayList<>();

    /** An account with `chat` and `embedding` deployments that expects the proxy's backend key. */
    public Simulator account() {
        return accounts.start();
    }

    public Simulator account(SimulatorOptions options) {
        return accounts.start(options);
    }

    /** An account whose quota windows (TPM, 10 s RPM) turn on this clock only, so a test never straddles one. */
    public Simulator account(SimulatorOptions options, InstantSource clock) {
        return accounts.start(options, clock);
    }

    /** A backend that misbehaves at the socket level in one way. */
    public RawBackend raw(RawBackend.Behaviour behaviour) {
        RawBackend backend = new RawBackend(behaviour);
        backends.add(backend);
        return backend;
    }

    /** A backend that answers each request as the script says. */
    public ScriptedBackend scripted(ScriptedBackend.Script script) {
        ScriptedBackend backend = new ScriptedBackend(script);
        backends.add(backend);
        return backend;
    }

    /** A proxy builder whose proxy is closed after the test. */
    public RunningProxy.Builder proxy() {
        return RunningProxy.builder().onStart(proxies::add);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        proxies.forEach(RunningProxy::close);
        proxies.clear();
        for (AutoCloseable backend : backends) {
            try {
                backend.close();
            } catch (Exception e) {
                throw new IllegalStateException("could not close a test backend", e);
            }
        }
        backends.clear();
        accounts.close();
    }
}
