package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.proxy.route.ObjectKind;
import dev.spillway.proxy.route.ObjectRef;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestInspectorTest {

    private final RequestInspector inspector = new RequestInspector();

    private RequestInspector.RequestFacts inspect(String path, String body) throws BadRequestException {
        return inspector.inspect(CanonicalPath.parse(path), "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void deploymentComesFromThePath() throws Exception {
        assertThat(inspect("/openai/deployments/gpt-4o/chat/completions", "{}").deployment()).isEqualTo("gpt-4o");
    }

    @Test
    void v1DeploymentComesFromTheModelField() throws Exception {
        assertThat(inspect("/openai/v1/chat/completions", "{\"messages\":[{\"content\":\"x\"}],\"model\":\"chat\"}").deployment())
                .isEqualTo("chat");
    }

    @Test
    void costIsPromptCharactersOverFourPlusMaxTokens() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(396) + "\"}],\"max_tokens\":50}";

        // 4 characters of "user" plus 396 of content: 100 tokens, plus 50.
        assertThat(inspect("/openai/deployments/chat/chat/completions", body).estimatedTokens()).isEqualTo(150);
    }

    @Test
    void missingMaxTokensCosts4096() throws Exception {
        // Azure charges the whole context when max_tokens is missing (FACTS.md); the proxy has no model
        // table, so it stands in 4,096 tokens, enough to pass over an endpoint nearly out of quota.
        assertThat(inspect("/openai/deployments/chat/chat/completions", "{\"messages\":[]}").estimatedTokens())
                .isEqualTo(4096);
    }

    @Test
    void embeddingsCostOnlyTheirInput() throws Exception {
        assertThat(inspect("/openai/deployments/embedding/embeddings", "{\"input\":[\"" + "b".repeat(80) + "\"]}").estimatedTokens())
                .isEqualTo(20);
    }

    @Test
    void v1RequestWithoutModelIsRefused() {
        assertThatThrownBy(() -> inspect("/openai/v1/embeddings", "{\"input\":\"x\"}"))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("\"model\"");
    }

    @Test
    void brokenJsonOnADeploymentPathIsLeftForTheBackendToRefuse() throws Exception {
        assertThat(inspect("/openai/deployments/chat/chat/completions", "[oops").deployment()).isEqualTo("chat");
    }

    @Test
    void responsesFollowUpNamesItsPreviousResponse() throws Exception {
        String body = "{\"model\":\"chat\",\"input\":\"and then?\",\"previous_response_id\":\"resp_1\"}";

        assertThat(inspect("/openai/v1/responses", body).bodyRefs()).containsExactly(new ObjectRef(ObjectKind.RESPONSE, "resp_1"));
    }

    @Test
    void aConversationIsNamedByIdOrByObject() throws Exception {
        assertThat(inspect("/openai/v1/responses", "{\"model\":\"chat\",\"conversation\":\"conv_1\"}").bodyRefs())
                .containsExactly(new ObjectRef(ObjectKind.CONVERSATION, "conv_1"));
        assertThat(inspect("/openai/v1/responses", "{\"model\":\"chat\",\"conversation\":{\"id\":\"conv_2\"}}").bodyRefs())
                .containsExactly(new ObjectRef(ObjectKind.CONVERSATION, "conv_2"));
    }

    @Test
    void filesAndVectorStoresDeepInTheBodyAreNamed() throws Exception {
        // Responses input_file content and a file_search tool (OpenAI API reference, Responses create).
        String body = "{\"model\":\"chat\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_file\",\"file_id\":\"file-1\"}]}],"
                + "\"tools\":[{\"type\":\"file_search\",\"vector_store_ids\":[\"vs_1\",\"vs_2\"]}]}";

        assertThat(inspect("/openai/v1/responses", body).bodyRefs()).containsExactly(new ObjectRef(ObjectKind.FILE, "file-1"),
                new ObjectRef(ObjectKind.VECTOR_STORE, "vs_1"), new ObjectRef(ObjectKind.VECTOR_STORE, "vs_2"));
    }

    @Test
    void aBatchNamesItsInputFileAndNeedsNoModel() throws Exception {
        RequestInspector.RequestFacts facts = inspect("/openai/v1/batches",
                "{\"input_file_id\":\"file-9\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}");

        assertThat(facts.deployment()).isEmpty();
        assertThat(facts.bodyRefs()).containsExactly(new ObjectRef(ObjectKind.FILE, "file-9"));
    }

    @Test
    void aHostileListOfIdsIsCutToTheFirstFew() throws Exception {
        StringBuilder ids = new StringBuilder();
        for (int i = 0; i < 10_000; i++) {
            ids.append(i == 0 ? "" : ",").append("\"vs_").append(i).append('"');
        }
        String body = "{\"model\":\"chat\",\"tools\":[{\"type\":\"file_search\",\"vector_store_ids\":[" + ids + "]}]}";

        assertThat(inspect("/openai/v1/responses", body).bodyRefs()).hasSize(RequestInspector.MAX_REFS);
    }

    @Test
    void referenceFieldsDoNotChangeTheCostEstimate() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(396) + "\"}],\"max_tokens\":50}";
        String withFile = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(396) + "\"}],\"max_tokens\":50,\"file_ids\":[]}";

        assertThat(inspect("/openai/deployments/chat/chat/completions", withFile).estimatedTokens())
                .isEqualTo(inspect("/openai/deployments/chat/chat/completions", body).estimatedTokens());
    }

    @Test
    void responsesAreChargedTheirMaxOutputTokens() throws Exception {
        String body = "{\"model\":\"chat\",\"input\":\"" + "a".repeat(400) + "\",\"max_output_tokens\":30}";

        assertThat(inspect("/openai/v1/responses", body).estimatedTokens()).isEqualTo(130);
    }

    @Test
    void multipartModelCallNamesItsDeploymentInAFormField() throws Exception {
        String form = "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n"
                + "RIFF....model....\r\n--b0undary\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper\r\n--b0undary--\r\n";

        RequestInspector.RequestFacts facts = inspector.inspect(CanonicalPath.parse("/openai/v1/audio/transcriptions"),
                "multipart/form-data; boundary=b0undary", form.getBytes(StandardCharsets.ISO_8859_1));

        assertThat(facts.deployment()).isEqualTo("whisper");
    }

    @Test
    void multipartUploadNeedsNoModel() throws Exception {
        String form = "--xyz\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--xyz\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"model\"\r\n\r\n{\"model\":\"x\"}\r\n--xyz--\r\n";

        RequestInspector.RequestFacts facts = inspector.inspect(CanonicalPath.parse("/openai/v1/files"),
                "multipart/form-data; boundary=xyz", form.getBytes(StandardCharsets.UTF_8));

        assertThat(facts.deployment()).isEmpty();
    }

    @Test
    void multipartModelCallWithoutAModelFieldIsRefusedSayingWhere() {
        String form = "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\nRIFF\r\n--xyz--\r\n";

        assertThatThrownBy(() -> inspector.inspect(CanonicalPath.parse("/openai/v1/audio/transcriptions"),
                "multipart/form-data; boundary=xyz", form.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("multipart");
    }

    @Test
    void keysInTheClientsOwnMapsAndSchemasNameNothing() throws Exception {
        String body = "{\"model\":\"chat\",\"input\":\"x\",\"metadata\":{\"conversation\":\"ticket-42\",\"file_id\":\"crm-7\"},"
                + "\"tools\":[{\"type\":\"function\",\"name\":\"f\",\"parameters\":{\"properties\":{\"file_id\":{\"type\":\"string\"}}}}]}";

        assertThat(inspect("/openai/v1/responses", body).bodyRefs()).isEmpty();
    }

    @Test
    void valuesThatNoServiceGivesOutAsIdsNameNothing() throws Exception {
        String body = "{\"input_file_id\":\"..\",\"file_ids\":[\".\",\"a/b\",\"" + "f".repeat(300) + "\",\"file-ok_1.2\"]}";

        assertThat(inspect("/openai/v1/batches", body).bodyRefs()).containsExactly(new ObjectRef(ObjectKind.FILE, "file-ok_1.2"));
    }
}
