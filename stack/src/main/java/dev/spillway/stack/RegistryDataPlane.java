package dev.spillway.stack;

import dev.spillway.stack.image.BuildSourceUpload;

/**
 * The program's only calls outside the Pulumi engine, both to the stack's registry: the token
 * exchange that lets docker push (local builds) and the upload of the build context (registry
 * builds). Neither runs during {@code pulumi preview}; tests pass fakes.
 */
public record RegistryDataPlane(RegistryTokenExchange tokens, BuildSourceUpload uploads) {

    public static RegistryDataPlane overHttps() {
        return new RegistryDataPlane(RegistryTokenExchange.overHttps(), BuildSourceUpload.overHttps());
    }
}
