package dev.spillway.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.models.models.Model;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code GET /openai/v1/models}: the account's deployments, as the v1 surface names them. */
class ModelsTest {

    private Simulator simulator;

    @AfterEach
    void stop() {
        simulator.close();
    }

    @Test
    void modelsListTheAccountsDeployments() {
        simulator = Simulator.start(SimulatorOptions.defaults().withDeployments(Map.of("gpt-4o", 1000L, "embed", 1000L)));

        HttpResponse<String> response = new Wire(simulator).get("/openai/v1/models");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Wire.json(response);
        assertThat(body.path("object").asText()).isEqualTo("list");
        assertThat(body.path("data").findValuesAsText("id")).containsExactly("embed", "gpt-4o");
        JsonNode model = body.path("data").get(1);
        assertThat(model.path("object").asText()).isEqualTo("model");
        assertThat(model.path("created").isNumber()).isTrue();
        assertThat(model.path("owned_by").asText()).isNotEmpty();
    }

    @Test
    void unknownModelGets404ModelNotFound() {
        simulator = Simulator.start(SimulatorOptions.defaults());

        HttpResponse<String> response = new Wire(simulator).get("/openai/v1/models/gpt-x");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(Wire.json(response).path("error").path("code").asText()).isEqualTo("model_not_found");
    }

    @Test
    void officialClientListsAndRetrievesTheDeployments() {
        simulator = Simulator.start(SimulatorOptions.defaults());
        var client = Wire.officialClient(simulator);

        List<Model> models = client.models().list().data();
        models.forEach(Model::validate);
        Model chat = client.models().retrieve("chat").validate();

        assertThat(models).extracting(Model::id).containsExactly("chat", "embedding");
        assertThat(chat.ownedBy()).isEqualTo("system");
    }
}
