package dev.spillway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shapes are the OpenAI API reference's: a file object, and a Responses stream's first event. */
class CreatedObjectIdTest {

    private static final String FILE = "{\"object\":\"file\",\"bytes\":120,\"metadata\":{\"id\":\"not-this\"},\"id\":\"file-abc123\","
            + "\"filename\":\"batch.jsonl\",\"purpose\":\"batch\"}";
    private static final String STREAM = "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,"
            + "\"response\":{\"object\":\"response\",\"id\":\"resp_67c\",\"status\":\"in_progress\",\"output\":[]}}\n\n"
            + "event: response.in_progress\ndata: {\"type\":\"response.in_progress\"}\n\n";

    private static List<String> feed(boolean stream, String body, int chunkSize) {
        List<String> found = new ArrayList<>();
        CreatedObjectId scanner = new CreatedObjectId(stream, found::add);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        for (int at = 0; at < bytes.length; at += chunkSize) {
            ByteBuffer chunk = ByteBuffer.wrap(bytes, at, Math.min(chunkSize, bytes.length - at));
            int position = chunk.position();
            scanner.accept(chunk);
            assertThat(chunk.position()).isEqualTo(position);
        }
        return found;
    }

    @Test
    void findsTheTopLevelIdOfAJsonAnswerNotANestedOne() {
        assertThat(feed(false, FILE, FILE.length())).containsExactly("file-abc123");
    }

    @Test
    void findsTheIdWhateverTheChunksSplitIt() {
        for (int size = 1; size <= 40; size++) {
            assertThat(feed(false, FILE, size)).as("chunks of %d", size).containsExactly("file-abc123");
        }
    }

    @Test
    void findsTheResponseIdInAStreamsFirstEvent() {
        for (int size = 1; size <= 40; size += 3) {
            assertThat(feed(true, STREAM, size)).as("chunks of %d", size).containsExactly("resp_67c");
        }
    }

    @Test
    void anAnswerWithoutAnIdYieldsNothing() {
        assertThat(feed(false, "{\"object\":\"list\",\"data\":[]}", 7)).isEmpty();
        assertThat(feed(false, "not json at all", 3)).isEmpty();
    }

    @Test
    void anIdThatIsNotATokenIsNotLearned() {
        assertThat(feed(false, "{\"id\":\"has space\"}", 100)).isEmpty();
        assertThat(feed(false, "{\"id\":\"" + "x".repeat(300) + "\"}", 100)).isEmpty();
    }

    @Test
    void keepsNoMoreThanTheStartOfAHugeAnswer() {
        String huge = "{\"output\":\"" + "a".repeat(CreatedObjectId.MAX_PREFIX * 4) + "\",\"id\":\"resp_late\"}";

        assertThat(feed(false, huge, 4096)).as("an id past the kept start is left to a lookup").isEmpty();
    }
}
