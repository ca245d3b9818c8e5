package dev.spillway.stack.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The upload is Azure Storage's "Put Blob" (learn.microsoft.com, Blob service REST API): a PUT with x-ms-blob-type, 201 Created. */
class BuildSourceUploadTest {

    private record Received(String method, String blobType, String query, byte[] body) {}

    private final AtomicReference<Received> received = new AtomicReference<>();
    private HttpServer storage;

    private String serve(int status, String answer) throws IOException {
        storage = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        storage.createContext("/", exchange -> {
            received.set(new Received(exchange.getRequestMethod(), exchange.getRequestHeaders().getFirst("x-ms-blob-type"),
                    exchange.getRequestURI().getRawQuery(), exchange.getRequestBody().readAllBytes()));
            byte[] body = answer.getBytes();
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        storage.start();
        return "http://127.0.0.1:" + storage.getAddress().getPort() + "/source/upload.tar.gz?sv=2026&sig=secret-signature";
    }

    @AfterEach
    void stop() {
        if (storage != null) {
            storage.stop(0);
        }
    }

    @Test
    void putsTheArchiveAsABlockBlobAtTheSasUrl() throws IOException {
        String url = serve(201, "");
        byte[] archive = {31, -117, 8, 0, 1, 2, 3};

        BuildSourceUpload.overHttps().upload(url, archive);

        assertThat(received.get().method()).isEqualTo("PUT");
        assertThat(received.get().blobType()).isEqualTo("BlockBlob");
        assertThat(received.get().query()).isEqualTo("sv=2026&sig=secret-signature");
        assertThat(received.get().body()).isEqualTo(archive);
    }

    @Test
    void refusedUploadFailsWithTheStatusAndNeverTheSasSignature() throws IOException {
        String url = serve(403, "<Error><Code>AuthenticationFailed</Code></Error>");

        assertThatThrownBy(() -> BuildSourceUpload.overHttps().upload(url, new byte[] {1}))
                .hasMessageContaining("HTTP 403").hasMessageContaining("AuthenticationFailed")
                .hasMessageNotContaining("secret-signature");
    }
}
