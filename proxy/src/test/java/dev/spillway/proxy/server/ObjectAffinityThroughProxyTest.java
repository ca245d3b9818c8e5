package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spillway.proxy.testing.LoopbackServers;
import dev.spillway.proxy.testing.RunningProxy;
import dev.spillway.simulator.ReceivedRequest;
import dev.spillway.simulator.Simulator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Requests about objects that live in one account (Responses, files, batches) reach that account,
 * over real HTTP through the proxy in front of three simulated accounts, each of which holds only
 * what was created in it.
 */
class ObjectAffinityThroughProxyTest {

    private static final String RESPONSES = "/openai/v1/responses";
    private final ObjectMapper json = new ObjectMapper();

    @RegisterExtension
    final LoopbackServers servers = new LoopbackServers();
    private final Map<String, Simulator> accounts = new java.util.LinkedHashMap<>();
    private RunningProxy proxy;

    @BeforeEach
    void threeAccounts() {
        accounts.put("openai1", servers.account());
        accounts.put("openai2", servers.account());
        accounts.put("openai3", servers.account());
        proxy = proxyOverTheAccounts();
    }

    private RunningProxy proxyOverTheAccounts() {
        RunningProxy.Builder builder = servers.proxy();
        accounts.forEach((name, account) -> builder.backend(name, account, 1));
        return builder.start();
    }

    private JsonNode body(HttpResponse<String> response) {
        try {
            return json.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> respond(RunningProxy through, String input, String previous) {
        return through.post(RESPONSES, "{\"model\":\"chat\",\"input\":\"" + input + "\",\"max_output_tokens\":20"
                + (previous == null ? "" : ",\"previous_response_id\":\"" + previous + "\"") + "}");
    }

    private static String backend(HttpResponse<?> response) {
        return response.headers().firstValue("x-spillway-backend").orElseThrow();
    }

    /** Requests an account received with this method whose path starts so. */
    private static long received(Simulator account, String method, String pathPrefix) {
        return account.traffic().recent().stream()
                .filter(r -> r.method().equals(method) && r.path().startsWith(pathPrefix)).count();
    }

    private long receivedElsewhere(String home, String method, String pathPrefix) {
        long calls = 0;
        for (Map.Entry<String, Simulator> account : accounts.entrySet()) {
            if (!account.getKey().equals(home)) {
                calls += received(account.getValue(), method, pathPrefix);
            }
        }
        return calls;
    }

    @Test
    void everyTurnOfAConversationGoesToTheAccountHoldingThePreviousResponse() {
        HttpResponse<String> first = respond(proxy, "Hello", null);
        assertThat(first.statusCode()).isEqualTo(200);
        String home = backend(first);
        String previous = body(first).path("id").asText();

        for (int turn = 2; turn <= 10; turn++) {
            HttpResponse<String> next = respond(proxy, "Turn " + turn, previous);
            assertThat(next.statusCode()).as("turn %d: %s", turn, next.body()).isEqualTo(200);
            assertThat(backend(next)).as("turn %d", turn).isEqualTo(home);
            previous = body(next).path("id").asText();
        }
        assertThat(receivedElsewhere(home, "GET", RESPONSES)).as("learned from the answers: no lookups").isZero();
    }

    @Test
    void aStreamedResponseIsLearnedFromItsFirstEvent() {
        HttpResponse<String> streamed = proxy.post(RESPONSES, "{\"model\":\"chat\",\"input\":\"Hi\",\"stream\":true}");
        assertThat(streamed.statusCode()).isEqualTo(200);
        String id = null;
        for (String line : streamed.body().split("\n")) {
            if (line.startsWith("data: ") && id == null) {
                try {
                    id = json.readTree(line.substring(6)).path("response").path("id").asText();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        String home = backend(streamed);

        HttpResponse<String> next = respond(proxy, "Go on", id);

        assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
        assertThat(backend(next)).isEqualTo(home);
        assertThat(receivedElsewhere(home, "GET", RESPONSES)).isZero();
    }

    @Test
    void aProxyThatNeverSawTheObjectFindsItsAccountWithOneLookupEach() {
        HttpResponse<String> first = respond(proxy, "Hello", null);
        String home = backend(first);
        String id = body(first).path("id").asText();
        RunningProxy fresh = proxyOverTheAccounts();

        HttpResponse<String> second = respond(fresh, "Again", id);
        HttpResponse<String> third = respond(fresh, "And again", body(second).path("id").asText());
        HttpResponse<String> retrieved = fresh.get(RESPONSES + "/" + id);

        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        assertThat(backend(second)).isEqualTo(home);
        assertThat(backend(third)).isEqualTo(home);
        assertThat(retrieved.statusCode()).isEqualTo(200);
        assertThat(backend(retrieved)).isEqualTo(home);
        for (Simulator account : accounts.values()) {
            // The others' lookups are abandoned once the home answers; one may be cut before it reached its account.
            long lookups = received(account, "GET", RESPONSES + "/" + id);
            if (account == accounts.get(home)) {
                assertThat(lookups).as("the lookup, then the retrieve: remembered").isEqualTo(2);
            } else {
                assertThat(lookups).as("at most one lookup per account, then remembered").isLessThanOrEqualTo(1);
            }
        }
    }

    @Test
    void anObjectNoAccountHoldsGetsTheAccountsOwn404() {
        HttpResponse<String> response = proxy.get(RESPONSES + "/resp_nowhere");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("resp_nowhere");
        for (Simulator account : accounts.values()) {
            assertThat(received(account, "GET", RESPONSES)).isEqualTo(1);
        }
    }

    @Test
    void aFollowUpWhoseHomeIsThrottledGetsThatAccounts429AndReachesNoOtherAccount() {
        HttpResponse<String> first = respond(proxy, "Hello", null);
        String home = backend(first);
        accounts.get(home).faults().throttleAll(Duration.ofSeconds(7));

        HttpResponse<String> next = respond(proxy, "Still there?", body(first).path("id").asText());

        assertThat(next.statusCode()).isEqualTo(429);
        assertThat(next.headers().firstValue("Retry-After")).hasValue("7");
        assertThat(backend(next)).as("the home account's own answer").isEqualTo(home);
        assertThat(receivedElsewhere(home, "POST", RESPONSES)).isZero();
        assertThat(proxy.get("/metrics").body()).contains("outcome=\"home_throttled\"");
    }

    @Test
    void aHomeBlockedByAnEarlier429IsNotCalledAgainUntilItIsFree() {
        HttpResponse<String> first = respond(proxy, "Hello", null);
        String home = backend(first);
        String id = body(first).path("id").asText();
        accounts.get(home).faults().throttleAll(Duration.ofSeconds(30));
        respond(proxy, "Once", id);
        long callsToHome = accounts.get(home).traffic().calls();

        HttpResponse<String> blocked = respond(proxy, "Twice", id);

        assertThat(blocked.statusCode()).isEqualTo(429);
        assertThat(Long.parseLong(blocked.headers().firstValue("retry-after-ms").orElseThrow())).isBetween(25_000L, 30_000L);
        assertThat(body(blocked).path("error").path("message").asText()).contains(id);
        assertThat(accounts.get(home).traffic().calls()).isEqualTo(callsToHome);
        assertThat(receivedElsewhere(home, "POST", RESPONSES)).isZero();
    }

    @Test
    void aHomeThatCannotBeReachedGets503AndTheRequestGoesNowhereElse() {
        HttpResponse<String> first = respond(proxy, "Hello", null);
        String home = backend(first);
        accounts.get(home).refuseConnections();

        HttpResponse<String> next = respond(proxy, "Hello?", body(first).path("id").asText());

        assertThat(next.statusCode()).isEqualTo(503);
        assertThat(body(next).path("error").path("code").asText()).isEqualTo("home_unavailable");
        assertThat(receivedElsewhere(home, "POST", RESPONSES)).isZero();
    }

    @Test
    void anUploadedFileIsReadBackAndBatchedInItsOwnAccount() {
        String content = "{\"custom_id\":\"1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"chat\"}}\n";
        HttpResponse<String> uploaded = upload("batch.jsonl", content);
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
        String home = backend(uploaded);
        String fileId = body(uploaded).path("id").asText();

        HttpResponse<String> readBack = proxy.get("/openai/v1/files/" + fileId + "/content");
        HttpResponse<String> batch = proxy.post("/openai/v1/batches", "{\"input_file_id\":\"" + fileId
                + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}");
        HttpResponse<String> batchAgain = proxy.get("/openai/v1/batches/" + body(batch).path("id").asText());

        assertThat(readBack.body()).isEqualTo(content);
        assertThat(backend(readBack)).isEqualTo(home);
        assertThat(batch.statusCode()).as(batch.body()).isEqualTo(200);
        assertThat(backend(batch)).isEqualTo(home);
        assertThat(batchAgain.statusCode()).isEqualTo(200);
        assertThat(backend(batchAgain)).isEqualTo(home);
    }

    @Test
    void aDeletedResponseIsForgottenSoItIsLookedUpAgain() {
        HttpResponse<String> first = respond(proxy, "Hello", null);
        String id = body(first).path("id").asText();

        HttpResponse<String> deleted = proxy.send(proxy.request(RESPONSES + "/" + id).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> gone = proxy.get(RESPONSES + "/" + id);

        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(gone.statusCode()).isEqualTo(404);
        for (Simulator account : accounts.values()) {
            assertThat(received(account, "GET", RESPONSES + "/" + id)).as("looked up at every account once").isEqualTo(1);
        }
    }

    @Test
    void objectsKnownToLiveInDifferentAccountsAreRefusedWithoutCallingAny() {
        List<String> ids = new ArrayList<>();
        List<String> homes = new ArrayList<>();
        while (homes.size() < 2) {
            HttpResponse<String> uploaded = upload("a.jsonl", "{}\n");
            if (!homes.contains(backend(uploaded))) {
                homes.add(backend(uploaded));
                ids.add(body(uploaded).path("id").asText());
            }
        }
        long before = accounts.values().stream().mapToLong(a -> a.traffic().calls()).sum();

        HttpResponse<String> both = proxy.post(RESPONSES, "{\"model\":\"chat\",\"input\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"input_file\",\"file_id\":\"" + ids.get(0) + "\"},{\"type\":\"input_file\",\"file_id\":\"" + ids.get(1) + "\"}]}]}");

        assertThat(both.statusCode()).isEqualTo(400);
        assertThat(body(both).path("error").path("code").asText()).isEqualTo("objects_in_different_accounts");
        assertThat(accounts.values().stream().mapToLong(a -> a.traffic().calls()).sum()).isEqualTo(before);
    }

    @Test
    void aBodyNamingManyUnknownObjectsCostsOneLookupPerAccount() {
        StringBuilder stores = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            stores.append(i == 0 ? "" : ",").append("\"vs_unknown").append(i).append('"');
        }

        HttpResponse<String> response = proxy.post(RESPONSES, "{\"model\":\"chat\",\"input\":\"x\",\"tools\":[{\"type\":\"file_search\","
                + "\"vector_store_ids\":[" + stores + "]}]}");

        assertThat(response.statusCode()).isEqualTo(404);
        for (Simulator account : accounts.values()) {
            assertThat(account.traffic().calls()).as("one lookup, and the request itself nowhere").isEqualTo(1);
        }
    }

    private HttpResponse<String> upload(String filename, String content) {
        String boundary = "spillway-test-boundary";
        String form = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename + "\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n";
        return proxy.send(proxy.request("/openai/v1/files").setHeader("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(form, StandardCharsets.UTF_8)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
