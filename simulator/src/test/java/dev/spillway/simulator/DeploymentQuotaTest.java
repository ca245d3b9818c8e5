package dev.spillway.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.simulator.quota.DeploymentQuota;
import dev.spillway.simulator.quota.DeploymentQuota.Admission;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;

class DeploymentQuotaTest {

    private Instant now = Instant.parse("2026-11-27T10:00:00Z");
    private final InstantSource clock = () -> now;

    @Test
    void tokensAreChargedAtAdmissionAndRefusedPastTheMinuteLimit() {
        DeploymentQuota quota = new DeploymentQuota(100_000, clock);

        assertThat(quota.admit(60_000)).isEqualTo(new Admission.Admitted(40_000, 99));
        Admission refused = quota.admit(50_000);

        assertThat(refused).isInstanceOf(Admission.Throttled.class);
        assertThat(((Admission.Throttled) refused).limit()).isEqualTo(DeploymentQuota.Limit.TOKENS);
        assertThat(((Admission.Throttled) refused).retryAfterMillis()).isEqualTo(60_000);
    }

    @Test
    void requestsAreLimitedPerTenSecondWindowAtSixPerThousandTpmPerMinute() {
        DeploymentQuota quota = new DeploymentQuota(3_000, clock);

        assertThat(quota.admit(1)).isInstanceOf(Admission.Admitted.class);
        assertThat(quota.admit(1)).isInstanceOf(Admission.Admitted.class);
        assertThat(quota.admit(1)).isInstanceOf(Admission.Admitted.class);
        now = now.plus(Duration.ofSeconds(4));
        Admission refused = quota.admit(1);

        assertThat(refused).isEqualTo(new Admission.Throttled(DeploymentQuota.Limit.REQUESTS, 6_000));
    }

    @Test
    void windowsRefillOnceTheyHavePassed() {
        DeploymentQuota quota = new DeploymentQuota(1_000, clock);
        quota.admit(1_000);
        assertThat(quota.admit(1)).isInstanceOf(Admission.Throttled.class);

        now = now.plus(Duration.ofSeconds(60));

        assertThat(quota.admit(1)).isInstanceOf(Admission.Admitted.class);
    }
}
