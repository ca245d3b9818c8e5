package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.Simulator;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PriorityAndSpreadTest {

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private RunningProxy proxy;


    @Test
    void priorityTwoIsUsedOnlyWhenPriorityOneIsBlocked() {
        Simulator primaryA = servers.account();
        Simulator primaryB = servers.account();
        Simulator standby = servers.account();
        proxy = servers.proxy().backend("ptu1", primaryA, 1).backend("ptu2", primaryB, 1).backend("paygo", standby, 2).start();

        for (int i = 0; i < 20; i++) {
            assertThat(proxy.chat("chat").statusCode()).isEqualTo(200);
        }
        assertThat(standby.traffic().calls()).isZero();

        primaryA.faults().throttleAll(Duration.ofSeconds(30));
        primaryB.faults().throttleAll(Duration.ofSeconds(30));
        assertThat(proxy.chat("chat").headers().firstValue("x-spillway-backend")).hasValue("paygo");
        assertThat(standby.traffic().calls()).isEqualTo(1);
    }

    @Test
    void loadIsSpreadOverEveryBackendOfAPriorityGroup() {
        Simulator a = servers.account();
        Simulator b = servers.account();
        Simulator c = servers.account();
        proxy = servers.proxy().backend("openai1", a, 1).backend("openai2", b, 1).backend("openai3", c, 1).start();

        for (int i = 0; i < 60; i++) {
            assertThat(proxy.chat("chat").statusCode()).isEqualTo(200);
        }

        // Random spreading: each of three gets 20 on average; fewer than 5 has a probability below 1e-5.
        assertThat(a.traffic().calls()).isGreaterThanOrEqualTo(5);
        assertThat(b.traffic().calls()).isGreaterThanOrEqualTo(5);
        assertThat(c.traffic().calls()).isGreaterThanOrEqualTo(5);
    }

    @Test
    void roundRobinPolicyTakesBackendsInTurn() {
        Simulator a = servers.account();
        Simulator b = servers.account();
        proxy = servers.proxy().backend("openai1", a, 1).backend("openai2", b, 1)
                .env("SPILLWAY_POLICY", "roundrobin").start();

        for (int i = 0; i < 10; i++) {
            proxy.chat("chat");
        }

        assertThat(a.traffic().calls()).isEqualTo(5);
        assertThat(b.traffic().calls()).isEqualTo(5);
    }
}
