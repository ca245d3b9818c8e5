package dev.spillway.proxy.observe;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AttemptLogTest {

    @Test
    void queryParametersThatLookLikeSecretsAreMasked() {
        assertThat(AttemptLog.redact("/openai/deployments/chat/chat/completions?api-version=2024-10-21&api-key=s3cret&sig=abc"))
                .isEqualTo("/openai/deployments/chat/chat/completions?api-version=2024-10-21&api-key=***&sig=***");
    }

    @Test
    void ordinaryQueriesAreLoggedAsSent() {
        assertThat(AttemptLog.redact("/openai/v1/models?api-version=preview")).isEqualTo("/openai/v1/models?api-version=preview");
    }
}
