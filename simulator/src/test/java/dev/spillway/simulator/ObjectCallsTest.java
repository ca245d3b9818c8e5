package dev.spillway.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What holds for every call on the account's objects, whatever the collection. */
class ObjectCallsTest {

    private Simulator simulator;

    @AfterEach
    void stop() {
        simulator.close();
    }

    @Test
    void objectCallsNeedTheConfiguredKey() {
        simulator = Simulator.start(SimulatorOptions.defaults().withApiKey("k"));
        Wire account = new Wire(simulator);

        for (String path : new String[] {"/openai/v1/models", "/openai/v1/files", "/openai/v1/batches", "/openai/v1/responses/resp_x"}) {
            assertThat(account.get(path).statusCode()).as(path).isEqualTo(401);
        }
        assertThat(account.send(account.request("/openai/v1/models").header("api-key", "k").GET()).statusCode()).isEqualTo(200);
    }

    @Test
    void everyObjectCallIsRecordedWithItsMethodAndPath() {
        simulator = Simulator.start(SimulatorOptions.defaults());
        Wire account = new Wire(simulator);

        account.get("/openai/v1/models");
        account.delete("/openai/v1/responses/resp_x");

        assertThat(simulator.traffic().calls()).isEqualTo(2);
        assertThat(simulator.traffic().recent()).extracting(ReceivedRequest::method, ReceivedRequest::path)
                .containsExactly(tuple("GET", "/openai/v1/models"),
                        tuple("DELETE", "/openai/v1/responses/resp_x"));
    }

    @Test
    void methodsAndPathsTheAccountDoesNotServeGet404ResourceNotFound() {
        simulator = Simulator.start(SimulatorOptions.defaults());
        Wire account = new Wire(simulator);

        for (HttpResponse<String> response : List.of(
                account.get("/openai/v1/responses"),
                account.send(account.request("/openai/v1/files").PUT(HttpRequest.BodyPublishers.ofString("{}"))),
                account.send(account.request("/openai/v1/batches").method("PATCH", HttpRequest.BodyPublishers.ofString("{}"))),
                account.get("/openai/models"),
                account.get("/openai/v1/chat/completions"),
                account.post("/openai/v1/assistants", "{}"),
                account.get("/openai/v1/responses/resp_x/input_items/more"))) {
            assertThat(response.statusCode()).as(response.request().method() + " " + response.uri()).isEqualTo(404);
            assertThat(response.body()).contains("Resource not found");
        }
    }
}
