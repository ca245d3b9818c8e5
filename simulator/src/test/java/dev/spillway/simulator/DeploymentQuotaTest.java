package dev.spillway.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.simulator.quota.DeploymentQuota;
import dev.spillway.simulator.quota.DeploymentQuota.Admission;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;

/** Azure OpenAI's limits: sliding windows, refusals counted toward requests (see DeploymentQuota for the sources). */
class DeploymentQuotaTest {

    private Instant now = Instant.parse("2026-11-27T10:00:00Z");
    private final InstantSource clock = () -> now;

    private void advance(long millis) {
        now = now.plus(Duration.ofMillis(millis));
    }

    @Test
    void tokensAreChargedAtAdmissionAndRefusedPastTheMinuteLimit() {
        DeploymentQuota quota = new DeploymentQuota(100_000, clock);

        assertThat(quota.admit(60_000)).isEqualTo(new Admission.Admitted(40_000, 99));
        Admission refused = quota.admit(50_000);

        assertThat(refused).isEqualTo(new Admission.Throttled(DeploymentQuota.Limit.TOKENS, 60_000));
    }

    @Test
    void tokensComeBackAsEachAdmissionAgesOutNotAllAtOnce() {
        DeploymentQuota quota = new DeploymentQuota(10_000, clock);
        quota.admit(4_000);
        advance(20_000);
        quota.admit(4_000);
        advance(20_000);

        // 8,000 counted; 3,000 more fits once the first 4,000 age out, 20 s from now, not a whole window later.
        assertThat(quota.admit(3_000)).isEqualTo(new Admission.Throttled(DeploymentQuota.Limit.TOKENS, 20_000));
        advance(20_000);
        assertThat(quota.admit(3_000)).isEqualTo(new Admission.Admitted(3_000, 9));
        // The second 4,000 are still counted: a fixed window would have handed back everything.
        assertThat(quota.admit(4_000)).isInstanceOf(Admission.Throttled.class);
    }

    @Test
    void requestsAreLimitedPerTenSecondSlidingWindowAtSixPerThousandTpmPerMinute() {
        DeploymentQuota quota = new DeploymentQuota(3_000, clock);

        quota.admit(1);
        advance(2_000);
        quota.admit(1);
        quota.admit(1);
        advance(2_000);

        assertThat(quota.admit(1)).isEqualTo(new Admission.Throttled(DeploymentQuota.Limit.REQUESTS, 6_000));
    }

    @Test
    void refusedRequestsStillCountTowardTheRequestLimit() {
        DeploymentQuota quota = new DeploymentQuota(2_000, clock);
        quota.admit(1_500);
        assertThat(quota.admit(1_000)).as("refused for tokens").isInstanceOf(Admission.Throttled.class);

        // Two requests counted in the 10 s window (one admitted, one refused): the window of two is full.
        assertThat(quota.admit(1)).isEqualTo(new Admission.Throttled(DeploymentQuota.Limit.REQUESTS, 10_000));
    }

    @Test
    void refusedRequestsAreChargedNoTokens() {
        DeploymentQuota quota = new DeploymentQuota(100_000, clock);
        quota.admit(90_000);
        quota.admit(50_000);

        assertThat(quota.admit(10_000)).isEqualTo(new Admission.Admitted(0, 97));
    }

    @Test
    void requestLargerThanTheWholeLimitWaitsAWholeWindow() {
        DeploymentQuota quota = new DeploymentQuota(1_000, clock);

        assertThat(quota.admit(5_000)).isEqualTo(new Admission.Throttled(DeploymentQuota.Limit.TOKENS, 60_000));
    }

    @Test
    void aLimitCutEnforcesAndReportsLessThanTheConfiguredTpm() {
        DeploymentQuota quota = new DeploymentQuota(10_000, clock);
        quota.cutLimit(0.5);

        assertThat(quota.effectiveTokensPerMinute()).isEqualTo(5_000);
        assertThat(quota.admit(4_000)).isEqualTo(new Admission.Admitted(1_000, 9));
        assertThat(quota.admit(2_000)).isInstanceOf(Admission.Throttled.class);
    }
}
