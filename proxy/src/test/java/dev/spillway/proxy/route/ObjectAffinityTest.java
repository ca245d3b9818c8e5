package dev.spillway.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which requests name an object by their path, from the OpenAI API reference's paths (the same under /openai/v1 on Azure). */
class ObjectAffinityTest {

    private static ObjectAffinity of(String method, String path) {
        return of(method, path, null);
    }

    private static ObjectAffinity of(String method, String path, String apiVersion) {
        return ObjectAffinity.of(method, Arrays.asList(path.substring(1).split("/")), apiVersion);
    }

    @Test
    void retrievingAResponseNamesIt() {
        assertThat(of("GET", "/openai/v1/responses/resp_1").named()).containsExactly(new ObjectRef(ObjectKind.RESPONSE, "resp_1"));
    }

    @Test
    void operationsUnderAnObjectNameItsOwner() {
        assertThat(of("GET", "/openai/v1/responses/resp_1/input_items").named()).containsExactly(new ObjectRef(ObjectKind.RESPONSE, "resp_1"));
        assertThat(of("GET", "/openai/v1/files/file-1/content").named()).containsExactly(new ObjectRef(ObjectKind.FILE, "file-1"));
        assertThat(of("POST", "/openai/v1/vector_stores/vs_1/files").named()).containsExactly(new ObjectRef(ObjectKind.VECTOR_STORE, "vs_1"));
        assertThat(of("POST", "/openai/v1/fine_tuning/jobs/ftjob-1/cancel").named())
                .containsExactly(new ObjectRef(ObjectKind.FINE_TUNING_JOB, "ftjob-1"));
    }

    @Test
    void postingToACollectionCreatesAndNamesNothing() {
        ObjectAffinity upload = of("POST", "/openai/v1/files");

        assertThat(upload.named()).isEmpty();
        assertThat(upload.creates()).isEqualTo(ObjectKind.FILE);
    }

    @Test
    void chatCompletionsCreateNothingTheProxyLearns() {
        assertThat(of("POST", "/openai/v1/chat/completions").creates()).isNull();
        assertThat(of("GET", "/openai/v1/chat/completions/chatcmpl-1").named())
                .containsExactly(new ObjectRef(ObjectKind.STORED_COMPLETION, "chatcmpl-1"));
    }

    @Test
    void collectionOperationsAreNotObjectIds() {
        assertThat(of("POST", "/openai/v1/responses/input_tokens").pinned()).isFalse();
        assertThat(of("POST", "/openai/threads/runs", "2024-05-01-preview").pinned()).isFalse();
    }

    @Test
    void deletingAnObjectIsKnownSoItsHomeIsForgotten() {
        assertThat(of("DELETE", "/openai/v1/files/file-1").deletes()).isEqualTo(new ObjectRef(ObjectKind.FILE, "file-1"));
        assertThat(of("DELETE", "/openai/v1/vector_stores/vs_1/files/file-1").deletes()).isNull();
    }

    @Test
    void deploymentPathsNameNoObject() {
        assertThat(of("POST", "/openai/deployments/files/chat/completions")).isEqualTo(ObjectAffinity.NONE);
    }

    @Test
    void v1LookupIsAGetOfTheObject() {
        ObjectAffinity affinity = of("POST", "/openai/v1/responses");

        assertThat(affinity.lookupPath(new ObjectRef(ObjectKind.RESPONSE, "resp_1"))).isEqualTo("/openai/v1/responses/resp_1");
    }

    @Test
    void previewApiLookupRepeatsTheApiVersion() {
        ObjectAffinity affinity = of("GET", "/openai/files/file-1", "2025-04-01-preview");

        assertThat(affinity.lookupPath(affinity.named().get(0))).isEqualTo("/openai/files/file-1?api-version=2025-04-01-preview");
    }

    @Test
    void lookupEncodesAnIdThatIsNotAPlainToken() {
        ObjectAffinity affinity = of("POST", "/openai/v1/responses");

        assertThat(affinity.lookupPath(new ObjectRef(ObjectKind.RESPONSE, "a/../b?c"))).isEqualTo("/openai/v1/responses/a%2F..%2Fb%3Fc");
    }

    @Test
    void bodyRefsComeAfterThePathsAndOnlyOnce() {
        ObjectAffinity affinity = of("GET", "/openai/v1/responses/resp_1")
                .withBodyRefs(List.of(new ObjectRef(ObjectKind.RESPONSE, "resp_1"), new ObjectRef(ObjectKind.FILE, "file-1")));

        assertThat(affinity.named()).containsExactly(new ObjectRef(ObjectKind.RESPONSE, "resp_1"), new ObjectRef(ObjectKind.FILE, "file-1"));
    }
}
