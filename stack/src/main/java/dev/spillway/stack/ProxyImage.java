package dev.spillway.stack;

import com.pulumi.azurenative.authorization.AuthorizationFunctions;
import com.pulumi.azurenative.authorization.inputs.GetClientTokenArgs;
import com.pulumi.azurenative.containerregistry.ContainerregistryFunctions;
import com.pulumi.azurenative.containerregistry.Registry;
import com.pulumi.azurenative.containerregistry.TaskRun;
import com.pulumi.azurenative.containerregistry.TaskRunArgs;
import com.pulumi.azurenative.containerregistry.inputs.DockerBuildRequestArgs;
import com.pulumi.azurenative.containerregistry.inputs.ListRegistryBuildSourceUploadUrlArgs;
import com.pulumi.azurenative.containerregistry.inputs.PlatformPropertiesArgs;
import com.pulumi.azurenative.containerregistry.outputs.ImageDescriptorResponse;
import com.pulumi.azurenative.containerregistry.outputs.RunResponse;
import com.pulumi.core.Output;
import com.pulumi.core.internal.OutputData;
import com.pulumi.core.internal.OutputInternal;
import com.pulumi.deployment.Deployment;
import com.pulumi.docker.Image;
import com.pulumi.docker.ImageArgs;
import com.pulumi.docker.inputs.DockerBuildArgs;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import dev.spillway.stack.image.ContextArchive;
import dev.spillway.stack.image.DockerContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The proxy's image, by digest, from one of three places: an image given in {@code proxyImage}, a
 * build in the stack's registry (ACR Tasks: needs no Docker engine, as the reference's
 * {@code az acr build}), or a docker build on this machine. A new revision only ever runs
 * exactly the image that was built.
 */
final class ProxyImage {

    /** How the image is made ({@code imageBuilder}). */
    enum Builder { REGISTRY, LOCAL }

    /**
     * The repository root (where Pulumi.yaml is), relative to the working directory: stack/ when the
     * Pulumi CLI runs the program (Pulumi.yaml: main: stack/), the root itself for scripts/plan.
     * Relative, so the docker build's inputs are the same on every machine.
     */
    static Path context() {
        Path here = Path.of("").toAbsolutePath();
        for (Path dir = here; dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("Pulumi.yaml")) && Files.exists(dir.resolve(DOCKERFILE))) {
                Path relative = here.relativize(dir);
                return relative.toString().isEmpty() ? Path.of(".") : relative;
            }
        }
        throw new IllegalStateException("cannot find the repository root (Pulumi.yaml with " + DOCKERFILE + ") above " + here);
    }
    static final String DOCKERFILE = "proxy/Dockerfile";
    static final String REPOSITORY = "spillway-proxy";

    /** @param buildRunId the registry's run id, for the build log ({@code scripts/logs --build}) */
    record Built(Output<String> reference, Optional<Output<String>> buildRunId) {}

    /**
     * @param parent the component that owns the build's resources
     * @param after  what must exist before anything is built (the proxy identity's AcrPull grant)
     */
    record Site(String name, Resource parent, Registry registry, Output<String> resourceGroupName, String location,
                Output<String> tenantId, RegistryDataPlane dataPlane, Resource after) {}

    private ProxyImage() {}

    static Built given(String reference) {
        return new Built(Output.of(reference), Optional.empty());
    }

    /**
     * Packs the context, uploads it to the registry's build storage and runs the Dockerfile there.
     * The run is named after the context's hash, and its upload location is ignored as a change
     * (every call of listBuildSourceUploadUrl returns a new one): the same sources mean the same
     * run, so no build, no new image and no new revision; other sources mean a new run.
     */
    static Built inRegistry(Site site) {
        ContextArchive archive = ContextArchive.of(DockerContext.at(context()), DOCKERFILE);
        boolean preview = Deployment.getInstance().isDryRun();
        Output<String> sourceLocation = ContainerregistryFunctions.listRegistryBuildSourceUploadUrl(ListRegistryBuildSourceUploadUrlArgs.builder()
                        .registryName(site.registry().name())
                        .resourceGroupName(site.resourceGroupName())
                        .build())
                .applyValue(upload -> {
                    if (!preview) { // a preview builds nothing, so it uploads nothing
                        site.dataPlane().uploads().upload(upload.uploadUrl().orElseThrow(), archive.bytes());
                    }
                    return upload.relativePath().orElseThrow();
                });
        String runName = "proxy-build-" + archive.tag();
        TaskRun run = new TaskRun(site.name() + "-build-" + archive.tag(), TaskRunArgs.builder()
                .resourceGroupName(site.resourceGroupName())
                .registryName(site.registry().name())
                .taskRunName(runName)
                .location(site.location())
                .forceUpdateTag(archive.sha256())
                .runRequest(DockerBuildRequestArgs.builder()
                        .type("DockerBuildRequest")
                        .sourceLocation(sourceLocation)
                        .dockerFilePath(DOCKERFILE)
                        .imageNames(REPOSITORY + ":" + archive.tag())
                        .isPushEnabled(true)
                        .platform(PlatformPropertiesArgs.builder().os("Linux").architecture("amd64").build())
                        .build())
                .build(), CustomResourceOptions.builder().parent(site.parent()).dependsOn(site.after())
                .ignoreChanges("runRequest.sourceLocation").build());
        Output<String> reference = Output.tuple(site.registry().loginServer(), run.runResult())
                .applyValue(t -> t.t1 + "/" + REPOSITORY + "@" + digest(t.t2));
        return new Built(reference, Optional.of(run.runResult().applyValue(result -> result.runId().orElse(""))));
    }

    /** Builds proxy/Dockerfile with the local docker engine and pushes it with an exchanged registry token. */
    static Built local(Site site, String tag) {
        Output<String> password = Deployment.getInstance().isDryRun()
                // A preview pushes nothing, so it needs no registry token: the exchange would call the
                // registry and fail a preview that changes nothing for a caller without push rights.
                ? new OutputInternal<>(OutputData.<String>unknown())
                : Output.tuple(site.registry().loginServer(), site.tenantId(), clientToken())
                        .applyValue(t -> site.dataPlane().tokens().refreshToken(t.t1, t.t2, t.t3));
        Path context = context();
        Image image = new Image(site.name() + "-image", ImageArgs.builder()
                .imageName(site.registry().loginServer().applyValue(server -> server + "/" + REPOSITORY + ":" + tag))
                .build(DockerBuildArgs.builder()
                        .context(context.toString())
                        .dockerfile(context.resolve(DOCKERFILE).toString())
                        .platform("linux/amd64")
                        .build())
                .registry(com.pulumi.docker.inputs.RegistryArgs.builder()
                        .server(site.registry().loginServer())
                        .username(RegistryTokenExchange.USER)
                        .password(password.asSecret())
                        .build())
                .build(), CustomResourceOptions.builder().parent(site.parent()).dependsOn(site.after()).build());
        return new Built(image.repoDigest(), Optional.empty());
    }

    /** The pushed image's digest; a failed run fails `pulumi up` with the registry's own words. */
    static String digest(RunResponse run) {
        String status = run.status().orElse("Unknown");
        if (!status.equals("Succeeded")) {
            throw new IllegalStateException("the registry build " + run.runId().orElse("?") + " ended " + status + ": "
                    + Optional.ofNullable(run.runErrorMessage()).filter(message -> !message.isBlank()).orElse("(no message)")
                    + "; its log: scripts/logs --build");
        }
        return run.outputImages().stream().map(ImageDescriptorResponse::digest).flatMap(Optional::stream).findFirst()
                .orElseThrow(() -> new IllegalStateException("the registry build " + run.runId().orElse("?")
                        + " succeeded but reported no image digest"));
    }

    private static Output<String> clientToken() {
        return AuthorizationFunctions.getClientToken(GetClientTokenArgs.builder().build()).applyValue(result -> result.token());
    }
}
