package dev.spillway.proxy.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UsageScannerTest {

    private static UsageScanner scan(String body, int chunk) {
        UsageScanner scanner = new UsageScanner();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i += chunk) {
            scanner.accept(bytes, i, Math.min(chunk, bytes.length - i));
        }
        return scanner;
    }

    @Test
    void usageAtTheEndOfAJsonAnswerIsFound() {
        String body = "{\"choices\":[{\"message\":{\"content\":\"" + "x".repeat(20_000) + "\"}}],"
                + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,\"total_tokens\":46}}";

        assertThat(scan(body, 8192).usage()).contains(new UsageScanner.Usage(12, 34));
    }

    @Test
    void usageInTheFinalChunkOfAStreamIsFoundAcrossChunkBoundaries() {
        String body = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}\n\n"
                + "data: [DONE]\n\n";

        assertThat(scan(body, 5).usage()).contains(new UsageScanner.Usage(7, 3));
    }

    @Test
    void streamWithoutUsageReportsNone() {
        assertThat(scan("data: {\"choices\":[],\"usage\":null}\n\ndata: [DONE]\n\n", 16).usage()).isEmpty();
    }

    @Test
    void usageIsFoundWhereverTheChunksSplitIt() {
        String body = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n"
                + "data: {\"choices\":[],\"usage\" : {\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}\n\n"
                + "data: {\"choices\":[],\"usage\":null,\"prompt_filter_results\":[]}\n\n"
                + "data: [DONE]\n\n";

        for (int chunk = 1; chunk <= 64; chunk++) {
            assertThat(scan(body, chunk).usage()).as("chunks of %d bytes", chunk).contains(new UsageScanner.Usage(7, 3));
        }
    }

    @Test
    void scanningLeavesTheBufferForTheClient() {
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap("{\"usage\":{\"prompt_tokens\":1}}".getBytes(StandardCharsets.UTF_8));
        UsageScanner scanner = new UsageScanner();

        scanner.accept(bytes);

        assertThat(bytes.position()).isZero();
        assertThat(scanner.usage()).contains(new UsageScanner.Usage(1, 0));
    }
}
