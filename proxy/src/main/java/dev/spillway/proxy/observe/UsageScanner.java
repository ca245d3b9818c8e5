package dev.spillway.proxy.observe;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Finds the {@code usage} a response reports, as the bytes pass through, without buffering the
 * body: Azure OpenAI puts usage at the end of a JSON answer and in the final chunk of a stream
 * (with {@code stream_options.include_usage}), so the last few kilobytes are kept, in a ring that
 * each chunk overwrites, and searched once, byte by byte, when the response has ended.
 */
public final class UsageScanner {

    private static final int TAIL = 4096;
    private static final byte[] USAGE = "\"usage\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROMPT = "\"prompt_tokens\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COMPLETION = "\"completion_tokens\"".getBytes(StandardCharsets.US_ASCII);

    /** Tokens a response reported; completion is 0 for embeddings. */
    public record Usage(long promptTokens, long completionTokens) {}

    private byte[] ring;
    /** Bytes seen so far; the next byte goes to {@code seen % TAIL}. */
    private long seen;

    public void accept(byte[] buffer, int offset, int count) {
        accept(ByteBuffer.wrap(buffer, offset, count));
    }

    /** Reads the buffer's remaining bytes without moving its position. */
    public void accept(ByteBuffer bytes) {
        int count = bytes.remaining();
        if (count == 0) {
            return;
        }
        if (ring == null) {
            ring = new byte[TAIL];
        }
        int skip = Math.max(0, count - TAIL);
        int from = bytes.position() + skip;
        int left = count - skip;
        seen += skip;
        while (left > 0) {
            int at = (int) (seen % TAIL);
            int run = Math.min(left, TAIL - at);
            bytes.get(from, ring, at, run);
            from += run;
            left -= run;
            seen += run;
        }
    }

    /**
     * The last usage object in the response, if it reported one. Chunks may follow it (the
     * asynchronous content filter's annotations come after the usage chunk, each with
     * {@code "usage": null}), so this is the last usage that is an object, not the last mention.
     */
    public Optional<Usage> usage() {
        byte[] tail = tail();
        for (int at = lastIndexOf(tail, USAGE, tail.length); at >= 0; at = lastIndexOf(tail, USAGE, at)) {
            int i = skipSpace(tail, at + USAGE.length);
            if (i < tail.length && tail[i] == ':') {
                i = skipSpace(tail, i + 1);
                if (i < tail.length && tail[i] == '{') {
                    long prompt = numberAfter(tail, PROMPT, i);
                    if (prompt < 0) {
                        return Optional.empty();
                    }
                    return Optional.of(new Usage(prompt, Math.max(0, numberAfter(tail, COMPLETION, i))));
                }
            }
        }
        return Optional.empty();
    }

    private byte[] tail() {
        if (ring == null) {
            return new byte[0];
        }
        int length = (int) Math.min(seen, TAIL);
        byte[] tail = new byte[length];
        int start = (int) ((seen - length) % TAIL);
        int first = Math.min(length, TAIL - start);
        System.arraycopy(ring, start, tail, 0, first);
        System.arraycopy(ring, 0, tail, first, length - first);
        return tail;
    }

    /** The number after {@code "key": } from {@code from} on, or -1. */
    private static long numberAfter(byte[] text, byte[] key, int from) {
        int at = indexOf(text, key, from);
        if (at < 0) {
            return -1;
        }
        int i = skipSpace(text, at + key.length);
        if (i >= text.length || text[i] != ':') {
            return -1;
        }
        i = skipSpace(text, i + 1);
        long value = 0;
        int digits = 0;
        while (i < text.length && text[i] >= '0' && text[i] <= '9' && digits < 18) {
            value = value * 10 + (text[i++] - '0');
            digits++;
        }
        return digits == 0 ? -1 : value;
    }

    private static int skipSpace(byte[] text, int i) {
        while (i < text.length && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) {
            i++;
        }
        return i;
    }

    private static int indexOf(byte[] text, byte[] word, int from) {
        outer:
        for (int i = from; i <= text.length - word.length; i++) {
            for (int j = 0; j < word.length; j++) {
                if (text[i + j] != word[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The last start of {@code word} that lies before {@code before}, or -1. */
    private static int lastIndexOf(byte[] text, byte[] word, int before) {
        outer:
        for (int i = Math.min(before - 1, text.length - word.length); i >= 0; i--) {
            for (int j = 0; j < word.length; j++) {
                if (text[i + j] != word[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
