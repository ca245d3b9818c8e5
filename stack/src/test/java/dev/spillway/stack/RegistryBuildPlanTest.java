package dev.spillway.stack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spillway.stack.image.ContextArchive;
import dev.spillway.stack.image.DockerContext;
import dev.spillway.stack.plan.OfflineMocks;
import dev.spillway.stack.plan.OfflinePlan;
import dev.spillway.stack.plan.PlannedResource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The default image builder: the registry builds proxy/Dockerfile (ACR Tasks), so `pulumi up` needs no
 * Docker engine, as the reference's `az acr build` hook. Run under mocks: what would be uploaded and
 * registered, not what the registry would do with it.
 */
class RegistryBuildPlanTest {

    private static final String TASK_RUN = "azure-native:containerregistry:TaskRun";
    private static final String IMAGE = "docker:index/image:Image";
    private static final String APP = "azure-native:app:ContainerApp";
    private static final String REGISTRY = "azure-native:containerregistry:Registry";

    private record Upload(String url, byte[] archive) {}

    private final List<Upload> uploads = new ArrayList<>();
    private final RegistryDataPlane recording = new RegistryDataPlane((server, tenant, token) -> "refresh-token",
            (url, archive) -> uploads.add(new Upload(url, archive)));

    private static Map<String, String> config(String... pairs) {
        try {
            Map<String, String> config = new HashMap<>(OfflinePlan.readStackConfig(Path.of("../Pulumi.dev.yaml")));
            for (int i = 0; i < pairs.length; i += 2) {
                config.put(pairs[i], pairs[i + 1]);
            }
            return config;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private OfflinePlan.Result plan(String... pairs) {
        OfflinePlan.Result result = OfflinePlan.run(OfflinePlan.Options.of("dev", config(pairs)).registry(recording));
        assertThat(result.errors()).isEmpty();
        return result;
    }

    private static ContextArchive archive() {
        return ContextArchive.of(DockerContext.at(Path.of("..")), "proxy/Dockerfile");
    }

    private static PlannedResource run(OfflinePlan.Result result) {
        assertThat(result.ofType(TASK_RUN)).hasSize(1);
        return result.ofType(TASK_RUN).get(0);
    }

    @Test
    void registryBuildIsTheDefaultAndNeedsNoDockerEngine() {
        OfflinePlan.Result result = plan();

        assertThat(result.ofType(IMAGE)).as("docker builds").isEmpty();
        JsonNode inputs = run(result).inputs();
        JsonNode request = inputs.path("runRequest");
        assertThat(request.path("type").asText()).isEqualTo("DockerBuildRequest");
        assertThat(request.path("dockerFilePath").asText()).isEqualTo("proxy/Dockerfile");
        assertThat(request.path("platform").path("os").asText()).isEqualTo("Linux");
        assertThat(request.path("platform").path("architecture").asText()).isEqualTo("amd64");
        assertThat(request.path("isPushEnabled").asBoolean()).isTrue();
        assertThat(inputs.path("registryName").asText())
                .isEqualTo(result.named(REGISTRY, "proxy-registry").inputs().path("registryName").asText());
    }

    @Test
    void runBuildsFromTheUploadedContextNamedByItsHash() {
        OfflinePlan.Result result = plan();
        ContextArchive expected = archive();

        JsonNode inputs = run(result).inputs();
        assertThat(inputs.path("runRequest").path("sourceLocation").asText()).isEqualTo(OfflineMocks.UPLOAD_PATH);
        assertThat(inputs.path("runRequest").path("imageNames")).extracting(JsonNode::asText)
                .containsExactly("spillway-proxy:" + expected.tag());
        assertThat(inputs.path("forceUpdateTag").asText()).isEqualTo(expected.sha256());
        assertThat(inputs.path("taskRunName").asText()).isEqualTo("proxy-build-" + expected.tag());
        assertThat(uploads).singleElement().satisfies(upload -> {
            assertThat(upload.url()).isEqualTo(OfflineMocks.UPLOAD_URL);
            assertThat(upload.archive()).isEqualTo(expected.bytes());
        });
    }

    @Test
    void containerAppRunsTheImageTheRunPushedByDigest() {
        OfflinePlan.Result result = plan();
        String loginServer = result.named(REGISTRY, "proxy-registry").inputs().path("registryName").asText() + ".azurecr.io";

        assertThat(result.named(APP, "proxy").inputs().path("template").path("containers").get(0).path("image").asText())
                .isEqualTo(loginServer + "/spillway-proxy@" + OfflineMocks.BUILD_DIGEST);
        assertThat(result.outputs()).containsEntry("imageBuildRunId", OfflineMocks.BUILD_RUN_ID);
    }

    @Test
    void unchangedSourcesPlanTheSameRunAndANewUploadLocationIsNoChange() {
        PlannedResource first = run(plan());
        PlannedResource second = run(plan());

        assertThat(second.name()).isEqualTo(first.name());
        assertThat(second.inputs().path("forceUpdateTag")).isEqualTo(first.inputs().path("forceUpdateTag"));
        assertThat(second.inputs().path("runRequest").path("imageNames")).isEqualTo(first.inputs().path("runRequest").path("imageNames"));
        // listBuildSourceUploadUrl answers a new location on every call; acting on it would rebuild every time.
        assertThat(second.ignoreChanges()).containsExactly("runRequest.sourceLocation");
    }

    @Test
    void failedBuildFailsThePlanWithTheRegistrysOwnError() {
        OfflinePlan.Result result = OfflinePlan.run(OfflinePlan.Options.of("dev", config()).registry(recording)
                .mocks(OfflineMocks.failingBuilds("failed to solve: COPY proxy/src/main: not found")));

        assertThat(result.errors()).anySatisfy(error -> assertThat(error)
                .contains("the registry build ca1 ended Failed: failed to solve: COPY proxy/src/main: not found")
                .contains("scripts/logs --build"));
    }

    @Test
    void localBuilderBuildsWithDockerAndUploadsNothing() {
        OfflinePlan.Result result = plan("imageBuilder", "local");

        assertThat(result.ofType(TASK_RUN)).isEmpty();
        assertThat(result.ofType(IMAGE)).hasSize(1);
        assertThat(uploads).isEmpty();
        assertThat(result.outputs()).doesNotContainKey("imageBuildRunId");
    }

    @Test
    void proxyImageOverridesEitherBuilder() {
        for (String builder : List.of("local", "registry")) {
            OfflinePlan.Result result = plan("imageBuilder", builder, "proxyImage", "example.azurecr.io/p@sha256:" + "ab".repeat(32));

            assertThat(result.ofType(TASK_RUN)).as(builder).isEmpty();
            assertThat(result.ofType(IMAGE)).as(builder).isEmpty();
        }
        assertThat(uploads).isEmpty();
    }

    @Test
    void unknownImageBuilderIsRefusedNamingTheChoices() {
        OfflinePlan.Result result = OfflinePlan.run(OfflinePlan.Options.of("dev", config("imageBuilder", "kaniko")).registry(recording));

        assertThat(result.errors()).anySatisfy(error -> assertThat(error)
                .contains("spillway:imageBuilder must be registry").contains("or local").contains("got 'kaniko'"));
    }
}
