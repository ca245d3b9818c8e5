package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The proxy against the answers Azure OpenAI gives besides a plain 200 (the simulator's switches
 * for each, with their sources): it must neither starve an account nor retry what cannot succeed.
 */
class AzureShapesThroughProxyTest {

    private static final String CHAT = "/openai/deployments/chat/chat/completions?api-version=2024-10-21";

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();

    /** Roomy enough that no request limit is reached: only the reported quota can steer. */
    private Simulator roomyAccount() {
        return servers.account(SimulatorOptions.defaults().withApiKey("backend-key").withTokensPerMinute(1_000_000));
    }

    private static int servedBy(RunningProxy proxy, String backend, int requests) {
        int count = 0;
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> response = proxy.chat("chat");
            assertThat(response.statusCode()).isEqualTo(200);
            count += response.headers().firstValue("x-spillway-backend").orElse("").equals(backend) ? 1 : 0;
        }
        return count;
    }

    @Test
    void accountReportingMinusOneRemainingKeepsItsShare() {
        Simulator unknown = roomyAccount();
        unknown.faults().reportRemainingAsUnknown();
        RunningProxy proxy = servers.proxy().backend("unknown", unknown, 1).backend("exact", roomyAccount(), 1).start();

        int share = servedBy(proxy, "unknown", 60);

        // -1 means "not known", not "nothing left": neither starved nor preferred.
        assertThat(share).isBetween(15, 45);
    }

    @Test
    void accountSendingNoQuotaHeadersKeepsItsShare() {
        Simulator silent = roomyAccount();
        silent.faults().omitQuotaHeaders();
        RunningProxy proxy = servers.proxy().backend("silent", silent, 1).backend("exact", roomyAccount(), 1).start();

        assertThat(servedBy(proxy, "silent", 60)).isBetween(15, 45);
    }

    @Test
    void capacity429WithoutRetryHeadersBlocksTheAccountAndFailsOver() {
        Simulator busy = servers.account();
        busy.faults().capacityThrottle();
        RunningProxy proxy = servers.proxy().backend("busy", busy, 1).backend("spare", servers.account(), 2).start();

        for (int i = 0; i < 5; i++) {
            HttpResponse<String> response = proxy.chat("chat");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-spillway-backend")).hasValue("spare");
        }
        // README: with no retry header at all, 10 s; so the busy account is asked once, not once per request.
        assertThat(busy.traffic().calls()).isEqualTo(1);
    }

    @Test
    void contentFilter400IsReturnedAsIsAndNeverRetried() {
        Simulator first = servers.account();
        Simulator second = servers.account();
        first.faults().filterPromptsContaining("spillways");
        second.faults().filterPromptsContaining("spillways");
        RunningProxy proxy = servers.proxy().backend("first", first, 1).backend("second", second, 1).start();

        HttpResponse<String> response = proxy.chat("chat");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("\"code\":\"content_filter\"");
        assertThat(first.traffic().calls() + second.traffic().calls()).as("upstream calls").isEqualTo(1);
    }

    @Test
    void usageIsCountedWhenAnnotationChunksFollowTheUsageChunk() {
        Simulator account = servers.account(SimulatorOptions.defaults().withApiKey("backend-key").withCompletionTokens(7));
        account.faults().annotateStreams();
        RunningProxy proxy = servers.proxy().backend("openai1", account, 1).start();

        HttpResponse<String> stream = proxy.post(CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":7,"
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.body()).contains("content_filter_offsets");

        Matcher completion = Pattern.compile("spillway_tokens_total\\{[^}]*type=\"completion\"[^}]*} (\\S+)")
                .matcher(proxy.get("/metrics").body());
        assertThat(completion.find()).as("completion tokens counted").isTrue();
        assertThat(Double.parseDouble(completion.group(1))).isEqualTo(7.0);
    }
}
