package dev.spillway.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseItem;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Responses API as one account answers it: created against the deployment's quota like a chat
 * completion, held by the account that created it, streamed as the service streams it. Shapes as
 * api.openai.com answers (see {@code api/ResponseShapes}); the official client reads them back.
 */
class ResponsesTest {

    private static final String CREATE = "/openai/v1/responses";
    private final List<Simulator> started = new ArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(Simulator::close);
    }

    private Simulator start(SimulatorOptions options) {
        Simulator simulator = Simulator.start(options);
        started.add(simulator);
        return simulator;
    }

    private Wire account() {
        return new Wire(start(SimulatorOptions.defaults()));
    }

    private static String created(Wire account, String body) {
        HttpResponse<String> response = account.post(CREATE, body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Wire.json(response).path("id").asText();
    }

    @Test
    void createAnswersACompletedResponseWithOneAssistantMessageAndItsUsage() {
        HttpResponse<String> response = account().post(CREATE, "{\"model\":\"chat\",\"input\":\"12345678\",\"max_output_tokens\":5}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Wire.json(response);
        assertThat(body.path("id").asText()).matches("resp_[0-9a-f]{48}");
        assertThat(body.path("object").asText()).isEqualTo("response");
        assertThat(body.path("status").asText()).isEqualTo("completed");
        assertThat(body.path("model").asText()).isEqualTo("chat");
        assertThat(body.path("previous_response_id").isNull()).isTrue();
        assertThat(body.path("output")).hasSize(1);
        JsonNode message = body.path("output").get(0);
        assertThat(message.path("type").asText()).isEqualTo("message");
        assertThat(message.path("role").asText()).isEqualTo("assistant");
        assertThat(message.path("id").asText()).startsWith("msg_");
        assertThat(message.path("content").get(0).path("type").asText()).isEqualTo("output_text");
        assertThat(message.path("content").get(0).path("text").asText()).isEqualTo("Spillway keeps the chat answering");
        JsonNode usage = body.path("usage");
        assertThat(usage.path("input_tokens").asLong()).isEqualTo(2);
        assertThat(usage.path("output_tokens").asLong()).isEqualTo(5);
        assertThat(usage.path("total_tokens").asLong()).isEqualTo(7);
        assertThat(usage.path("input_tokens_details").path("cached_tokens").isNumber()).isTrue();
        assertThat(usage.path("output_tokens_details").path("reasoning_tokens").isNumber()).isTrue();
    }

    @Test
    void createIsChargedAgainstTheDeploymentsQuotaLikeAChatCompletion() {
        HttpResponse<String> response = account().post(CREATE, "{\"model\":\"chat\",\"input\":\"12345678\",\"max_output_tokens\":5}");

        // prompt 8 characters / 4 + max_output_tokens 5
        assertThat(response.headers().firstValue("x-ratelimit-remaining-tokens")).hasValue(Long.toString(30_000 - 7));
        assertThat(response.headers().firstValue("x-ratelimit-limit-tokens")).hasValue("30000");
    }

    @Test
    void createWithoutMaxOutputTokensIsChargedTheModelsDefault() {
        HttpResponse<String> response = account().post(CREATE, "{\"model\":\"chat\",\"input\":\"12345678\"}");

        assertThat(response.headers().firstValue("x-ratelimit-remaining-tokens"))
                .hasValue(Long.toString(30_000 - 2 - SimulatorOptions.GPT4O_CLASS_DEFAULT_MAX_TOKENS));
    }

    @Test
    void createOverQuotaGets429WithRetryHeadersNamingTheResponsesOperation() {
        Wire account = new Wire(start(SimulatorOptions.defaults().withTokensPerMinute(1000)));
        account.post(CREATE, "{\"model\":\"chat\",\"input\":\"hi\",\"max_output_tokens\":900}");

        HttpResponse<String> response = account.post(CREATE, "{\"model\":\"chat\",\"input\":\"hi\",\"max_output_tokens\":900}");

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("retry-after")).isPresent();
        assertThat(response.headers().firstValue("retry-after-ms")).isPresent();
        assertThat(response.body()).contains("\"code\":\"429\"").contains("Responses_Create");
    }

    @Test
    void faultsApplyToResponsesAsToChat() {
        Simulator simulator = start(SimulatorOptions.defaults());
        Wire account = new Wire(simulator);

        simulator.faults().failWith(503);
        assertThat(account.post(CREATE, "{\"model\":\"chat\",\"input\":\"hi\"}").statusCode()).isEqualTo(503);
        simulator.faults().clear().throttleAll(Duration.ofSeconds(2));
        HttpResponse<String> throttled = account.post(CREATE, "{\"model\":\"chat\",\"input\":\"hi\"}");
        assertThat(throttled.statusCode()).isEqualTo(429);
        assertThat(throttled.headers().firstValue("retry-after")).hasValue("2");
    }

    @Test
    void createNeedsAModelThisAccountHasDeployed() {
        Wire account = account();

        assertThat(account.post(CREATE, "{\"input\":\"hi\"}").statusCode()).isEqualTo(400);
        assertThat(account.post(CREATE, "{\"model\":\"gpt-x\",\"input\":\"hi\"}").body()).contains("DeploymentNotFound");
    }

    @Test
    void olderAzurePathWithAnApiVersionCreatesAndRetrievesToo() {
        Wire account = account();

        HttpResponse<String> response = account.post("/openai/responses?api-version=2025-04-01-preview",
                "{\"model\":\"chat\",\"input\":\"hi\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        String id = Wire.json(response).path("id").asText();
        assertThat(account.get("/openai/responses/" + id + "?api-version=2025-04-01-preview").statusCode()).isEqualTo(200);
    }

    @Test
    void previousResponseIdThisAccountDoesNotHoldGets400PreviousResponseNotFound() {
        HttpResponse<String> response = account().post(CREATE,
                "{\"model\":\"chat\",\"input\":\"hi\",\"previous_response_id\":\"resp_x\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Wire.json(response)).isEqualTo(Wire.json("{\"error\":{\"message\":\"Previous response with id 'resp_x' not found.\","
                + "\"type\":\"invalid_request_error\",\"param\":\"previous_response_id\",\"code\":\"previous_response_not_found\"}}"));
    }

    @Test
    void responseIsContinuedOnlyInTheAccountThatCreatedIt() {
        Wire first = account();
        Wire second = account();
        String id = created(first, "{\"model\":\"chat\",\"input\":\"hi\"}");
        String next = "{\"model\":\"chat\",\"input\":\"and then?\",\"previous_response_id\":\"" + id + "\"}";

        HttpResponse<String> elsewhere = second.post(CREATE, next);
        HttpResponse<String> here = first.post(CREATE, next);

        assertThat(elsewhere.statusCode()).isEqualTo(400);
        assertThat(here.statusCode()).isEqualTo(200);
        assertThat(Wire.json(here).path("previous_response_id").asText()).isEqualTo(id);
        assertThat(second.get(CREATE + "/" + id).statusCode()).isEqualTo(404);
    }

    @Test
    void responseCreatedWithStoreFalseCannotBeRetrievedNorContinued() {
        Wire account = account();
        HttpResponse<String> response = account.post(CREATE, "{\"model\":\"chat\",\"input\":\"hi\",\"store\":false}");
        String id = Wire.json(response).path("id").asText();

        assertThat(Wire.json(response).path("store").asBoolean()).isFalse();
        assertThat(account.get(CREATE + "/" + id).statusCode()).isEqualTo(404);
        assertThat(account.post(CREATE, "{\"model\":\"chat\",\"input\":\"hi\",\"previous_response_id\":\"" + id + "\"}").statusCode())
                .isEqualTo(400);
    }

    @Test
    void retrieveGivesBackTheResponseAsCreated() {
        Wire account = account();
        HttpResponse<String> created = account.post(CREATE, "{\"model\":\"chat\",\"input\":\"hi\",\"instructions\":\"Be brief.\"}");
        String id = Wire.json(created).path("id").asText();

        HttpResponse<String> retrieved = account.get(CREATE + "/" + id);

        assertThat(retrieved.statusCode()).isEqualTo(200);
        assertThat(Wire.json(retrieved)).isEqualTo(Wire.json(created));
        assertThat(Wire.json(retrieved).path("instructions").asText()).isEqualTo("Be brief.");
    }

    @Test
    void deletedResponseIsGoneAndCannotBeContinued() {
        Wire account = account();
        String id = created(account, "{\"model\":\"chat\",\"input\":\"hi\"}");

        HttpResponse<String> deleted = account.delete(CREATE + "/" + id);

        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(Wire.json(deleted)).isEqualTo(Wire.json("{\"id\":\"" + id + "\",\"object\":\"response\",\"deleted\":true}"));
        assertThat(account.get(CREATE + "/" + id).statusCode()).isEqualTo(404);
        assertThat(account.delete(CREATE + "/" + id).statusCode()).isEqualTo(404);
        assertThat(account.post(CREATE, "{\"model\":\"chat\",\"input\":\"hi\",\"previous_response_id\":\"" + id + "\"}").statusCode())
                .isEqualTo(400);
    }

    @Test
    void unknownResponseIdGets404InTheServicesShape() {
        Wire account = account();
        JsonNode expected = Wire.json("{\"error\":{\"message\":\"Response with id 'resp_x' not found.\","
                + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}");

        for (HttpResponse<String> response : List.of(account.get(CREATE + "/resp_x"), account.delete(CREATE + "/resp_x"),
                account.get(CREATE + "/resp_x/input_items"))) {
            assertThat(response.statusCode()).isEqualTo(404);
            assertThat(Wire.json(response)).isEqualTo(expected);
        }
    }

    @Test
    void inputItemsListTheRequestsInputNewestFirstAndPageOnRequest() {
        Wire account = account();
        String id = created(account, "{\"model\":\"chat\",\"input\":[{\"role\":\"developer\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"hi\"}]}]}");

        JsonNode all = Wire.json(account.get(CREATE + "/" + id + "/input_items"));
        JsonNode oldest = Wire.json(account.get(CREATE + "/" + id + "/input_items?order=asc&limit=1"));
        JsonNode next = Wire.json(account.get(CREATE + "/" + id + "/input_items?order=asc&limit=1&after="
                + oldest.path("last_id").asText()));

        assertThat(all.path("object").asText()).isEqualTo("list");
        assertThat(all.path("data")).hasSize(2);
        assertThat(all.path("has_more").asBoolean()).isFalse();
        assertThat(all.path("data").get(0).path("role").asText()).isEqualTo("user");
        assertThat(all.path("data").get(0).path("content").get(0).path("text").asText()).isEqualTo("hi");
        assertThat(all.path("first_id").asText()).isEqualTo(all.path("data").get(0).path("id").asText());
        assertThat(all.path("last_id").asText()).isEqualTo(all.path("data").get(1).path("id").asText());
        assertThat(oldest.path("data").get(0).path("content").get(0).path("text").asText()).isEqualTo("Be brief.");
        assertThat(oldest.path("data").get(0).path("content").get(0).path("type").asText()).isEqualTo("input_text");
        assertThat(oldest.path("has_more").asBoolean()).isTrue();
        assertThat(next.path("data").get(0).path("role").asText()).isEqualTo("user");
        assertThat(next.path("has_more").asBoolean()).isFalse();
    }

    @Test
    void streamSendsTheServicesEventsInOrderNumberedAndWithoutADoneLine() {
        Wire account = new Wire(start(SimulatorOptions.defaults().withCompletionTokens(3)));

        HttpResponse<String> response = account.post(CREATE, "{\"model\":\"chat\",\"input\":\"hi\",\"stream\":true}");

        assertThat(response.headers().firstValue("content-type").orElseThrow()).startsWith("text/event-stream");
        assertThat(response.headers().firstValue("x-ratelimit-remaining-tokens")).isPresent();
        assertThat(response.body()).doesNotContain("[DONE]");
        List<String> types = new ArrayList<>();
        List<JsonNode> events = new ArrayList<>();
        for (String frame : response.body().split("\n\n")) {
            String[] lines = frame.split("\n");
            assertThat(lines).hasSize(2);
            assertThat(lines[0]).startsWith("event: ");
            assertThat(lines[1]).startsWith("data: ");
            JsonNode event = Wire.json(lines[1].substring(6));
            assertThat(event.path("type").asText()).isEqualTo(lines[0].substring(7));
            assertThat(event.path("sequence_number").asInt()).isEqualTo(events.size());
            types.add(event.path("type").asText());
            events.add(event);
        }
        assertThat(types).containsExactly("response.created", "response.in_progress", "response.output_item.added",
                "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
                "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                "response.output_item.done", "response.completed");
        assertThat(events.getFirst().path("response").path("id").asText()).startsWith("resp_");
        assertThat(events.getFirst().path("response").path("status").asText()).isEqualTo("in_progress");
        JsonNode completed = events.getLast().path("response");
        assertThat(completed.path("id").asText()).isEqualTo(events.getFirst().path("response").path("id").asText());
        assertThat(completed.path("status").asText()).isEqualTo("completed");
        assertThat(completed.path("usage").path("output_tokens").asInt()).isEqualTo(3);
        assertThat(events.get(7).path("text").asText()).isEqualTo("Spillway keeps the");
    }

    @Test
    void streamedResponseIsStoredAndCanBeContinued() {
        Wire account = account();
        HttpResponse<String> streamed = account.post(CREATE, "{\"model\":\"chat\",\"input\":\"hi\",\"stream\":true}");
        String created = streamed.body().split("\n\n")[0].split("\n")[1].substring(6);
        String id = Wire.json(created).path("response").path("id").asText();

        assertThat(account.get(CREATE + "/" + id).statusCode()).isEqualTo(200);
        assertThat(account.post(CREATE, "{\"model\":\"chat\",\"input\":\"hi\",\"previous_response_id\":\"" + id + "\"}").statusCode())
                .isEqualTo(200);
    }

    @Test
    void streamSendsOneDeltaPerTokenAtTheTokenLatency() {
        Wire account = new Wire(start(SimulatorOptions.defaults().withCompletionTokens(5).withTokenLatency(Duration.ofMillis(40))));
        long start = System.nanoTime();

        account.post(CREATE, "{\"model\":\"chat\",\"input\":\"hi\",\"stream\":true}");

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(5 * 40));
    }

    @Test
    void streamCutByAFaultEndsWithoutResponseCompleted() {
        Simulator simulator = start(SimulatorOptions.defaults());
        simulator.faults().dropStreamAfter(3);

        try {
            String body = new Wire(simulator).post(CREATE, "{\"model\":\"chat\",\"input\":\"hi\",\"stream\":true}").body();
            assertThat(body).doesNotContain("response.completed");
        } catch (java.io.UncheckedIOException cutOff) {
            // the chunked body never ended: as a broken backend would leave it
        }
    }

    @Test
    void twoAccountsStartedAlikeNeverHandOutTheSameId() {
        String first = created(account(), "{\"model\":\"chat\",\"input\":\"hi\"}");
        String second = created(account(), "{\"model\":\"chat\",\"input\":\"hi\"}");

        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void officialClientCreatesRetrievesListsInputItemsAndDeletesAResponse() {
        Simulator simulator = start(SimulatorOptions.defaults());
        OpenAIClient client = Wire.officialClient(simulator);

        Response response = client.responses().create(ResponseCreateParams.builder().model("chat").input("12345678")
                .instructions("Be brief.").maxOutputTokens(4).build()).validate();
        Response retrieved = client.responses().retrieve(response.id()).validate();
        List<ResponseItem> inputs = client.responses().inputItems().list(response.id()).data();
        inputs.forEach(ResponseItem::validate);
        client.responses().delete(response.id());

        assertThat(response.id()).startsWith("resp_");
        assertThat(response.status()).hasValue(ResponseStatus.COMPLETED);
        assertThat(response.output().getFirst().asMessage().content().getFirst().asOutputText().text())
                .isEqualTo("Spillway keeps the chat");
        assertThat(response.usage().orElseThrow().inputTokens()).isEqualTo(4);
        assertThat(response.usage().orElseThrow().outputTokens()).isEqualTo(4);
        assertThat(response.usage().orElseThrow().totalTokens()).isEqualTo(8);
        assertThat(retrieved.id()).isEqualTo(response.id());
        assertThat(inputs).hasSize(1);
        assertThat(inputs.getFirst().asResponseInputMessageItem().content().getFirst().asInputText().text()).isEqualTo("12345678");
        assertThatThrownBy(() -> client.responses().retrieve(response.id())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void officialClientReadsTheStreamEventByEvent() {
        Simulator simulator = start(SimulatorOptions.defaults().withCompletionTokens(4));
        OpenAIClient client = Wire.officialClient(simulator);
        List<ResponseStreamEvent> events = new ArrayList<>();

        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                ResponseCreateParams.builder().model("chat").input("hi").build())) {
            stream.stream().forEach(event -> events.add(event.validate()));
        }

        assertThat(events.getFirst().isCreated()).isTrue();
        String id = events.getFirst().asCreated().response().id();
        StringBuilder text = new StringBuilder();
        events.stream().filter(ResponseStreamEvent::isOutputTextDelta).forEach(e -> text.append(e.asOutputTextDelta().delta()));
        Response completed = events.getLast().asCompleted().response();
        assertThat(completed.id()).isEqualTo(id);
        assertThat(completed.output().getFirst().asMessage().content().getFirst().asOutputText().text()).isEqualTo(text.toString());
        assertThat(completed.usage().orElseThrow().outputTokens()).isEqualTo(4);
        assertThat(client.responses().retrieve(id).id()).isEqualTo(id);
    }

    @Test
    void officialClientSeesAPreviousResponseElsewhereAsBadRequestWithTheServicesCode() {
        OpenAIClient first = Wire.officialClient(start(SimulatorOptions.defaults()));
        OpenAIClient second = Wire.officialClient(start(SimulatorOptions.defaults()));
        String id = first.responses().create(ResponseCreateParams.builder().model("chat").input("hi").build()).id();

        assertThatThrownBy(() -> second.responses().create(ResponseCreateParams.builder().model("chat").input("and?")
                .previousResponseId(id).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.code()).hasValue("previous_response_not_found");
                    assertThat(e.param()).hasValue("previous_response_id");
                });
    }
}
