package dev.spillway.proxy.testing;

import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
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
        Simulator simulator = Simulator.start(options);
        simulators.add(simulator);
        return simulator;
    }

    @Override
    public void close() {
        simulators.forEach(Simulator::close);
    }
}
