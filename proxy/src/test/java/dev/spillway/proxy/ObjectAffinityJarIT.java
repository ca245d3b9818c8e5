package dev.spillway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.RateLimitException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import dev.spillway.proxy.testing.ProxyJar;
import dev.spillway.simulator.Simulator;
import dev.spillway.simulator.SimulatorOptions;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a chat app written today does, with the official {@code openai-java} client pointed at
 * {@code <proxy>/openai/v1}, through the packaged jar in front of three simulated accounts that
 * each hold only the objects created in them: Responses conversations (plain and streamed), files
 * and batches; across a proxy restart and across two proxy processes.
 */
class ObjectAffinityJarIT {

    private static final String KEY = "client-key";
    private static final String RESPONSES = "/openai/v1/responses";

    @TempDir
    Path dir;
    private final Map<String, Simulator> accounts = new LinkedHashMap<>();
    private final List<AutoCloseable> open = new java.util.ArrayList<>();

    @BeforeEach
    void threeAccounts() {
        for (String name : List.of("openai1", "openai2", "openai3")) {
            accounts.put(name, Simulator.start(SimulatorOptions.defaults().withTokensPerMinute(10_000_000).withCompletionTokens(8)));
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closeable : open.reversed()) {
            closeable.close();
        }
        accounts.values().forEach(Simulator::close);
    }

    private ProxyJar proxy(String logName) throws Exception {
        StringBuilder backends = new StringBuilder("[");
        accounts.forEach((name, account) -> backends.append(backends.length() > 1 ? "," : "")
                .append("{\"name\":\"").append(name).append("\",\"url\":\"").append(account.url()).append("\",\"apiKey\":\"x\"}"));
        ProxyJar jar = ProxyJar.start(Map.of("SPILLWAY_API_KEYS", KEY, "SPILLWAY_BACKENDS", backends + "]"), dir.resolve(logName));
        open.add(jar);
        return jar;
    }

    private OpenAIClient client(ProxyJar proxy) {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(proxy.url() + "/openai/v1").apiKey(KEY).maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
        open.add(client::close);
        return client;
    }

    private static Response turn(OpenAIClient client, String input, String previous) {
        ResponseCreateParams.Builder params = ResponseCreateParams.builder().model("chat").input(input).maxOutputTokens(16);
        if (previous != null) {
            params.previousResponseId(previous);
        }
        return client.responses().create(params.build());
    }

    private static String streamedTurn(OpenAIClient client, String input, String previous) {
        ResponseCreateParams.Builder params = ResponseCreateParams.builder().model("chat").input(input).maxOutputTokens(16);
        if (previous != null) {
            params.previousResponseId(previous);
        }
        String id = null;
        boolean completed = false;
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(params.build())) {
            for (ResponseStreamEvent event : (Iterable<ResponseStreamEvent>) stream.stream()::iterator) {
                if (event.created().isPresent()) {
                    id = event.created().get().response().id();
                }
                completed |= event.completed().isPresent();
            }
        }
        assertThat(completed).as("the stream reached response.completed").isTrue();
        return id;
    }

    /** POSTs of new responses each account received, for "reached no other account". */
    private Map<String, Long> responseCreates() {
        Map<String, Long> creates = new LinkedHashMap<>();
        accounts.forEach((name, account) -> creates.put(name, account.traffic().recent().stream()
                .filter(r -> r.method().equals("POST") && r.path().equals(RESPONSES)).count()));
        return creates;
    }

    private String homeOf(String responseId) {
        for (Map.Entry<String, Simulator> account : accounts.entrySet()) {
            HttpResponse<String> lookup = rawGet(account.getValue().url() + RESPONSES + "/" + responseId, "x");
            if (lookup.statusCode() == 200) {
                return account.getKey();
            }
        }
        throw new AssertionError(responseId + " is in no account");
    }

    private static HttpResponse<String> rawGet(String url, String key) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).header("api-key", key).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void tenTurnConversationsPlainAndStreamedStayWithTheirAccount() throws Exception {
        OpenAIClient client = client(proxy("proxy.log"));

        Response first = turn(client, "Hello", null);
        String previous = first.id();
        for (int n = 2; n <= 10; n++) {
            Response next = turn(client, "Turn " + n, previous);
            assertThat(next.previousResponseId()).hasValue(previous);
            previous = next.id();
        }
        String streamed = streamedTurn(client, "Hello", null);
        for (int n = 2; n <= 10; n++) {
            streamed = streamedTurn(client, "Turn " + n, streamed);
        }

        assertThat(homeOf(previous)).isEqualTo(homeOf(first.id()));
        assertThat(client.responses().retrieve(streamed).id()).isEqualTo(streamed);
    }

    @Test
    void aResponseIsRetrievedAndDeletedByIdThroughAnotherProxyProcess() throws Exception {
        ProxyJar one = proxy("one.log");
        ProxyJar two = proxy("two.log");
        Response created = turn(client(one), "Keep this", null);

        OpenAIClient other = client(two);
        assertThat(other.responses().retrieve(created.id()).id()).isEqualTo(created.id());
        HttpResponse<String> raw = rawGet(two.url() + RESPONSES + "/" + created.id(), KEY);
        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(raw.headers().firstValue("x-spillway-backend")).hasValue(homeOf(created.id()));
        other.responses().delete(created.id());

        assertThatThrownBy(() -> client(one).responses().retrieve(created.id())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void twoProxyProcessesServingAlternateTurnsKeepTheConversationInOneAccount() throws Exception {
        List<OpenAIClient> clients = List.of(client(proxy("one.log")), client(proxy("two.log")));

        String first = turn(clients.get(0), "Hello", null).id();
        String previous = first;
        for (int n = 2; n <= 10; n++) {
            previous = n % 3 == 0 ? streamedTurn(clients.get(n % 2), "Turn " + n, previous)
                    : turn(clients.get(n % 2), "Turn " + n, previous).id();
        }

        assertThat(homeOf(previous)).isEqualTo(homeOf(first));
    }

    @Test
    void theConversationGoesOnAfterAProxyRestart() throws Exception {
        ProxyJar before = proxy("before.log");
        String previous = turn(client(before), "Hello", null).id();
        previous = turn(client(before), "Again", previous).id();
        before.close();
        open.remove(before);

        OpenAIClient after = client(proxy("after.log"));
        for (int n = 3; n <= 6; n++) {
            previous = turn(after, "Turn " + n, previous).id();
        }

        assertThat(after.responses().retrieve(previous).previousResponseId()).isPresent();
    }

    @Test
    void anUploadedFileIsReadBackAndBatchedInItsAccountAlsoAfterARestart() throws Exception {
        String lines = "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"chat\",\"messages\":[]}}\n";
        ProxyJar before = proxy("before.log");
        FileObject file = client(before).files().create(FileCreateParams.builder()
                .file(lines.getBytes(StandardCharsets.UTF_8)).purpose(FilePurpose.BATCH).build());
        before.close();
        open.remove(before);

        OpenAIClient after = client(proxy("after.log"));
        String content;
        try (com.openai.core.http.HttpResponse body = after.files().content(file.id()); InputStream in = body.body()) {
            content = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Batch batch = after.batches().create(BatchCreateParams.builder().inputFileId(file.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS).completionWindow(BatchCreateParams.CompletionWindow._24H).build());

        assertThat(content).isEqualTo(lines);
        assertThat(after.batches().retrieve(batch.id()).inputFileId()).isEqualTo(file.id());
    }

    @Test
    void aFollowUpWhoseAccountIsThrottledIsAnswered429AndReachesNoOtherAccount() throws Exception {
        OpenAIClient client = client(proxy("proxy.log"));
        Response first = turn(client, "Hello", null);
        String home = homeOf(first.id());
        accounts.get(home).faults().throttleAll(Duration.ofSeconds(9));
        Map<String, Long> before = responseCreates();

        assertThatThrownBy(() -> turn(client, "Still there?", first.id()))
                .isInstanceOfSatisfying(RateLimitException.class, e -> assertThat(e.headers().values("retry-after")).containsExactly("9"));
        assertThatThrownBy(() -> turn(client, "And now?", first.id())).isInstanceOf(RateLimitException.class);

        Map<String, Long> after = responseCreates();
        accounts.keySet().stream().filter(name -> !name.equals(home)).forEach(name ->
                assertThat(after.get(name)).as("creates at %s", name).isEqualTo(before.get(name)));
        assertThat(after.get(home)).as("the second follow-up waits out the block without calling").isEqualTo(before.get(home) + 1);
    }
}
