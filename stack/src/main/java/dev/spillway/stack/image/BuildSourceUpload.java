package dev.spillway.stack.image;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Puts a build context where the registry's build reads it: the SAS URL that
 * {@code listBuildSourceUploadUrl} returns, a blob in storage the registry owns (what
 * {@code az acr build} does before it queues the run).
 */
public interface BuildSourceUpload {

    void upload(String uploadUrl, byte[] archive);

    /** Azure Storage "Put Blob": one PUT of a block blob, 201 Created on success. */
    static BuildSourceUpload overHttps() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).build();
        return (uploadUrl, archive) -> {
            HttpRequest request = HttpRequest.newBuilder(URI.create(uploadUrl))
                    .timeout(Duration.ofMinutes(5))
                    .header("x-ms-blob-type", "BlockBlob")
                    .header("Content-Type", "application/gzip")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(archive))
                    .build();
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 201) {
                    // The SAS URL is a credential: name the host, never the URL.
                    throw new IllegalStateException("uploading the build context to " + request.uri().getHost() + " failed with HTTP "
                            + response.statusCode() + ": " + response.body().strip());
                }
            } catch (IOException e) {
                throw new IllegalStateException("could not upload the build context to " + request.uri().getHost(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while uploading the build context", e);
            }
        };
    }
}
