package dev.spillway.proxy.observe;

import dev.spillway.proxy.forward.BodyTap;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * Finds the {@code usage} a response reports ({@code prompt_tokens}/{@code completion_tokens}, or the
 * Responses API's {@code input_tokens}/{@code output_tokens}), as the bytes pass through, without buffering the
 * body: Azure OpenAI puts usage at the end of a JSON answer and in the final chunk of a stream
 * (with {@code stream_options.include_usage}). Each chunk is searched, byte by byte, for a usage
 * object, and only the bytes from the last one found are kept (a few hundred), so an open stream
 * holds nothing here until its usage arrives.
 */
public final class UsageScanner implements BodyTap {

    /** Enough for {@code "usage":{...}} with its token details; the counts come first. */
    private static final int CAPTURE = 512;
    /** A key split across two chunks is found in the end of one kept with the start of the next. */
    private static final int CARRY = 32;
    private static final byte[] USAGE = "\"usage\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROMPT = "\"prompt_tokens\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COMPLETION = "\"completion_tokens\"".getBytes(StandardCharsets.US_ASCII);
    /** The Responses API's names for the same counts. */
    private static final byte[] INPUT = "\"input_tokens\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OUTPUT = "\"output_tokens\"".getBytes(StandardCharsets.US_ASCII);

    /** Tokens a response reported; completion is 0 for embeddings. */
    public record Usage(long promptTokens, long completionTokens) {}

    private final byte[] carry = new byte[CARRY];
    private int carried;
    private byte[] captured;
    private int capturedLength;

    public void accept(byte[] buffer, int offset, int count) {
        accept(ByteBuffer.wrap(buffer, offset, count));
    }

    /** Reads the buffer's remaining bytes without moving its position. */
    @Override
    public void accept(ByteBuffer bytes) {
        int count = bytes.remaining();
        if (count == 0) {
            return;
        }
        int inChunk = lastUsageObject(bytes, bytes.position(), bytes.limit());
        // The seam between the last chunk and this one, where a key may have been split; the first chunk has none.
        byte[] seam = null;
        int inSeam = -1;
        if (inChunk < 0 && carried > 0) {
            int head = Math.min(count, CARRY);
            seam = new byte[carried + head];
            System.arraycopy(carry, 0, seam, 0, carried);
            bytes.get(bytes.position(), seam, carried, head);
            inSeam = lastUsageObject(ByteBuffer.wrap(seam), 0, seam.length);
        }
        if (inChunk >= 0) {
            capture(bytes, inChunk, bytes.limit(), true);
        } else if (inSeam >= 0 && inSeam < carried) {
            // Starts in the carried bytes: keep them, then the whole of this chunk.
            captured = null;
            appendCaptured(seam, inSeam, carried);
            capture(bytes, bytes.position(), bytes.limit(), false);
        } else if (captured != null) {
            capture(bytes, bytes.position(), bytes.limit(), false);
        }
        int keep = Math.min(CARRY, count);
        if (keep == CARRY) {
            bytes.get(bytes.limit() - keep, carry, 0, keep);
            carried = keep;
        } else {
            int old = Math.min(carried, CARRY - keep);
            System.arraycopy(carry, carried - old, carry, 0, old);
            bytes.get(bytes.limit() - keep, carry, old, keep);
            carried = old + keep;
        }
    }

    private void capture(ByteBuffer bytes, int from, int to, boolean restart) {
        if (restart) {
            captured = null;
            capturedLength = 0;
        }
        int room = CAPTURE - capturedLength;
        int n = Math.min(room, to - from);
        if (n <= 0) {
            return;
        }
        if (captured == null) {
            captured = new byte[CAPTURE];
        }
        bytes.get(from, captured, capturedLength, n);
        capturedLength += n;
    }

    private void appendCaptured(byte[] source, int from, int to) {
        captured = new byte[CAPTURE];
        capturedLength = Math.min(CAPTURE, to - from);
        System.arraycopy(source, from, captured, 0, capturedLength);
    }

    /**
     * The last usage object in the response, if it reported one. Chunks may follow it (the
     * asynchronous content filter's annotations come after the usage chunk, each with
     * {@code "usage": null}), so this is the last usage that is an object, not the last mention.
     */
    public Optional<Usage> usage() {
        if (captured == null) {
            return Optional.empty();
        }
        byte[] text = Arrays.copyOf(captured, capturedLength);
        long prompt = numberAfter(text, PROMPT);
        if (prompt >= 0) {
            return Optional.of(new Usage(prompt, Math.max(0, numberAfter(text, COMPLETION))));
        }
        long input = numberAfter(text, INPUT);
        if (input >= 0) {
            return Optional.of(new Usage(input, Math.max(0, numberAfter(text, OUTPUT))));
        }
        return Optional.empty();
    }

    /** Where the last {@code "usage"} followed by {@code :} and {@code {} starts in [from, to), or -1. */
    private static int lastUsageObject(ByteBuffer text, int from, int to) {
        for (int i = to - USAGE.length; i >= from; i--) {
            if (matches(text, i, USAGE)) {
                int j = skipSpace(text, i + USAGE.length, to);
                if (j < to && text.get(j) == ':') {
                    j = skipSpace(text, j + 1, to);
                    if (j < to && text.get(j) == '{') {
                        return i;
                    }
                }
            }
        }
        return -1;
    }

    private static boolean matches(ByteBuffer text, int at, byte[] word) {
        for (int j = 0; j < word.length; j++) {
            if (text.get(at + j) != word[j]) {
                return false;
            }
        }
        return true;
    }

    private static int skipSpace(ByteBuffer text, int i, int to) {
        while (i < to) {
            byte b = text.get(i);
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                break;
            }
            i++;
        }
        return i;
    }

    /** The number after {@code "key": }, or -1. */
    private static long numberAfter(byte[] text, byte[] key) {
        ByteBuffer buffer = ByteBuffer.wrap(text);
        int at = -1;
        for (int i = 0; i <= text.length - key.length; i++) {
            if (matches(buffer, i, key)) {
                at = i;
                break;
            }
        }
        if (at < 0) {
            return -1;
        }
        int i = skipSpace(buffer, at + key.length, text.length);
        if (i >= text.length || text[i] != ':') {
            return -1;
        }
        i = skipSpace(buffer, i + 1, text.length);
        long value = 0;
        int digits = 0;
        while (i < text.length && text[i] >= '0' && text[i] <= '9' && digits < 18) {
            value = value * 10 + (text[i++] - '0');
            digits++;
        }
        return digits == 0 ? -1 : value;
    }
}
