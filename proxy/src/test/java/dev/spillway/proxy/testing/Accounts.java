package dev.spillway.proxy.testing;

import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

/** Simulated Azure OpenAI accounts for a test, closed together. */
public final class Accounts implements AutoCloseable {

    private final List<Simulator> simulators = new ArrayList<>();

    /** An account with `chat` and `embedding` deployments that expects the proxy's backend key. */
    public Simulator start() {
        return start(SimulatorOptions.defaults().withApiKey("backend-key"));
    }

    public Simulator start(SimulatorOptions options) {
        return start(options, InstantSource.system());
    }

    /** An account whose quota windows turn on this clock only. */
    public Simulator start(SimulatorOptions options, InstantSource clock) {
        Simulator simulator = Simulator.start(options, clock);
        simulators.add(simulator);
        return simulator;
    }

    @Override
    public void close() {
        simulators.forEach(Simulator::close);
    }
}
