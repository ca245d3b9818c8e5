package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
