package dev.spillway.proxy.forward;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * What a client that did not ask for a stream's usage receives when the proxy asked for it. The
 * shapes are Azure's with {@code stream_options.include_usage}: every chunk carries {@code "usage":null}
 * and a last chunk with empty {@code choices} carries the usage, before {@code data: [DONE]}
 * (OpenAI API reference, chat streaming, {@code stream_options}).
 */
class UsageStripperTest {

    private static final String CONTENT = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}],\"id\":\"c1\",\"usage\":null}\n\n";
    private static final String USAGE = "data: {\"choices\":[],\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
            + "\"usage\":{\"completion_tokens\":5,\"prompt_tokens\":9,\"total_tokens\":14}}\n\n";
    private static final String DONE = "data: [DONE]\n\n";

    private static String strip(UsageStripper stripper, String chunk, boolean last) {
        ByteBuffer out = stripper.strip(ByteBuffer.wrap(chunk.getBytes(StandardCharsets.UTF_8)), last);
        byte[] bytes = new byte[out.remaining()];
        out.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void theUsageChunkIsDroppedAndEveryOtherChunksUsageNullRemoved() {
        String out = strip(new UsageStripper(), CONTENT + USAGE + DONE, true);

        assertThat(out).isEqualTo("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}],\"id\":\"c1\"}\n\n" + DONE);
    }

    @Test
    void anEventSplitAcrossChunksIsPassedOnWholeOnceItsBlankLineArrives() {
        UsageStripper stripper = new UsageStripper();
        String events = CONTENT + USAGE + DONE;
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < events.length(); i += 7) {
            String piece = events.substring(i, Math.min(events.length(), i + 7));
            out.append(strip(stripper, piece, i + 7 >= events.length()));
        }

        assertThat(out.toString()).isEqualTo("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}],\"id\":\"c1\"}\n\n" + DONE);
    }

    @Test
    void aCompleteEventIsNotHeldBackForTheNextChunk() {
        assertThat(strip(new UsageStripper(), CONTENT, false)).endsWith("\"id\":\"c1\"}\n\n");
    }

    @Test
    void usageAsTheFirstOrOnlyMemberIsCutWithItsComma() {
        assertThat(strip(new UsageStripper(), "data: {\"usage\":null,\"id\":\"x\"}\n\n", true)).isEqualTo("data: {\"id\":\"x\"}\n\n");
        assertThat(strip(new UsageStripper(), "data: {\"usage\" : null}\n\n", true)).isEqualTo("data: {}\n\n");
    }

    @Test
    void aUsageKeyInsideAStringOrANestedObjectIsLeftAlone() {
        String nested = "data: {\"choices\":[{\"delta\":{\"content\":\"\\\"usage\\\":null\",\"usage\":null}}],\"id\":\"c1\"}\n\n";

        assertThat(strip(new UsageStripper(), nested, true)).isEqualTo(nested);
    }

    @Test
    void crlfEventsAndContentFilterAnnotationsAfterTheUsageChunkPass() {
        String annotation = "data: {\"choices\":[{\"index\":0,\"content_filter_offsets\":{\"check_offset\":0}}],\"usage\":null}\r\n\r\n";
        String usage = USAGE.replace("\n\n", "\r\n\r\n");

        assertThat(strip(new UsageStripper(), usage + annotation + DONE, true))
                .isEqualTo("data: {\"choices\":[{\"index\":0,\"content_filter_offsets\":{\"check_offset\":0}}]}\r\n\r\n" + DONE);
    }

    @Test
    void whatIsNotJsonPassesAsItCame() {
        String odd = ": keep-alive\n\nevent: ping\ndata: hello\n\ndata: {broken\n\n";

        assertThat(strip(new UsageStripper(), odd, true)).isEqualTo(odd);
    }
}
