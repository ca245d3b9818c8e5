package dev.spillway.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.errors.NotFoundException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Batch API as one account answers it: batches made from files this account holds. */
class BatchesTest {

    private static final String BATCHES = "/openai/v1/batches";
    private final List<Simulator> started = new ArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(Simulator::close);
    }

    private Wire account() {
        Simulator simulator = Simulator.start(SimulatorOptions.defaults());
        started.add(simulator);
        return new Wire(simulator);
    }

    private static String inputFile(Wire account) {
        String body = "--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                + "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n\r\n{\"custom_id\":\"1\"}\n\r\n--b--\r\n";
        HttpResponse<String> response = account.send(account.request("/openai/v1/files").header("Content-Type", "multipart/form-data; boundary=b")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Wire.json(response).path("id").asText();
    }

    private static String create(String fileId) {
        return "{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}";
    }

    private static String batch(Wire account) {
        HttpResponse<String> response = account.post(BATCHES, create(inputFile(account)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Wire.json(response).path("id").asText();
    }

    @Test
    void createAnswersAValidatingBatchForAFileThisAccountHolds() {
        Wire account = account();
        String fileId = inputFile(account);

        HttpResponse<String> response = account.post(BATCHES, "{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"/v1/chat/completions\","
                + "\"completion_window\":\"24h\",\"metadata\":{\"run\":\"7\"}}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode batch = Wire.json(response);
        assertThat(batch.path("id").asText()).matches("batch_[0-9a-f]{32}");
        assertThat(batch.path("object").asText()).isEqualTo("batch");
        assertThat(batch.path("status").asText()).isEqualTo("validating");
        assertThat(batch.path("input_file_id").asText()).isEqualTo(fileId);
        assertThat(batch.path("endpoint").asText()).isEqualTo("/v1/chat/completions");
        assertThat(batch.path("completion_window").asText()).isEqualTo("24h");
        assertThat(batch.path("expires_at").asLong() - batch.path("created_at").asLong()).isEqualTo(86_400);
        assertThat(batch.path("request_counts").path("total").isNumber()).isTrue();
        assertThat(batch.path("metadata").path("run").asText()).isEqualTo("7");
        assertThat(batch.has("output_file_id")).isTrue();
    }

    @Test
    void createFromAFileThisAccountDoesNotHoldGets404NamingTheFile() {
        Wire elsewhere = account();
        String fileId = inputFile(account());

        HttpResponse<String> response = elsewhere.post(BATCHES, create(fileId));

        assertThat(response.statusCode()).isEqualTo(404);
        JsonNode error = Wire.json(response).path("error");
        assertThat(error.path("message").asText()).isEqualTo("No such File object: " + fileId);
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
    }

    @Test
    void createWithoutAnEndpointGets400NamingIt() {
        Wire account = account();

        HttpResponse<String> response = account.post(BATCHES, "{\"input_file_id\":\"" + inputFile(account) + "\",\"completion_window\":\"24h\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Wire.json(response).path("error").path("param").asText()).isEqualTo("endpoint");
    }

    @Test
    void olderAzurePathWithAnApiVersionCreatesAndRetrievesToo() {
        Wire account = account();

        HttpResponse<String> response = account.post("/openai/batches?api-version=2024-10-21", create(inputFile(account)));

        assertThat(response.statusCode()).isEqualTo(200);
        String id = Wire.json(response).path("id").asText();
        assertThat(account.get("/openai/batches/" + id + "?api-version=2024-10-21").statusCode()).isEqualTo(200);
    }

    @Test
    void retrieveAndCancelWorkOnlyInTheAccountThatHoldsTheBatch() {
        Wire account = account();
        Wire other = account();
        String id = batch(account);

        HttpResponse<String> retrieved = account.get(BATCHES + "/" + id);
        HttpResponse<String> cancelled = account.post(BATCHES + "/" + id + "/cancel", "");

        assertThat(Wire.json(retrieved).path("id").asText()).isEqualTo(id);
        assertThat(Wire.json(cancelled).path("status").asText()).isEqualTo("cancelling");
        assertThat(Wire.json(cancelled).path("cancelling_at").isNumber()).isTrue();
        assertThat(Wire.json(account.get(BATCHES + "/" + id)).path("status").asText()).isEqualTo("cancelling");
        for (HttpResponse<String> response : List.of(other.get(BATCHES + "/" + id), other.post(BATCHES + "/" + id + "/cancel", ""))) {
            assertThat(response.statusCode()).isEqualTo(404);
            assertThat(Wire.json(response).path("error").path("code").asText()).isEqualTo("batch_not_found");
        }
    }

    @Test
    void listGivesThisAccountsBatchesNewestFirstAndPagesWithAfter() {
        Wire account = account();
        String first = batch(account);
        String second = batch(account);
        batch(account());

        JsonNode all = Wire.json(account.get(BATCHES));
        JsonNode page = Wire.json(account.get(BATCHES + "?limit=1"));
        JsonNode rest = Wire.json(account.get(BATCHES + "?limit=1&after=" + second));

        assertThat(all.path("object").asText()).isEqualTo("list");
        assertThat(all.path("data").findValuesAsText("id")).containsExactly(second, first);
        assertThat(page.path("data").findValuesAsText("id")).containsExactly(second);
        assertThat(page.path("has_more").asBoolean()).isTrue();
        assertThat(rest.path("data").findValuesAsText("id")).containsExactly(first);
        assertThat(rest.path("has_more").asBoolean()).isFalse();
    }

    @Test
    void officialClientCreatesRetrievesListsAndCancelsABatch() {
        Simulator simulator = Simulator.start(SimulatorOptions.defaults());
        started.add(simulator);
        OpenAIClient client = Wire.officialClient(simulator);
        String fileId = client.files().create(FileCreateParams.builder().purpose(FilePurpose.BATCH)
                .file("{\"custom_id\":\"1\"}\n".getBytes(StandardCharsets.UTF_8)).build()).id();

        Batch batch = client.batches().create(BatchCreateParams.builder().inputFileId(fileId)
                .endpoint(BatchCreateParams.Endpoint.V1_RESPONSES).completionWindow(BatchCreateParams.CompletionWindow._24H).build())
                .validate();
        Batch retrieved = client.batches().retrieve(batch.id()).validate();
        List<Batch> listed = client.batches().list().data();
        listed.forEach(Batch::validate);
        Batch cancelled = client.batches().cancel(batch.id()).validate();

        assertThat(batch.id()).startsWith("batch_");
        assertThat(batch.status()).isEqualTo(Batch.Status.VALIDATING);
        assertThat(batch.inputFileId()).isEqualTo(fileId);
        assertThat(batch.endpoint()).isEqualTo("/v1/responses");
        assertThat(retrieved.id()).isEqualTo(batch.id());
        assertThat(listed).extracting(Batch::id).containsExactly(batch.id());
        assertThat(cancelled.status()).isEqualTo(Batch.Status.CANCELLING);
        assertThatThrownBy(() -> client.batches().retrieve("batch_0")).isInstanceOf(NotFoundException.class);
    }
}
