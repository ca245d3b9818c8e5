package dev.spillway.proxy.observe;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the {@code usage} a response reports, as the bytes pass through, without buffering the
 * body: Azure OpenAI puts usage at the end of a JSON answer and in the final chunk of a stream
 * (with {@code stream_options.include_usage}), so keeping the last few kilobytes is enough.
 */
public final class UsageScanner {

    private static final int TAIL = 4096;
    private static final Pattern PROMPT = Pattern.compile("\"prompt_tokens\"\\s*:\\s*(\\d+)");
    private static final Pattern COMPLETION = Pattern.compile("\"completion_tokens\"\\s*:\\s*(\\d+)");
    /** A usage object, not the {@code "usage": null} that every other chunk of such a stream carries. */
    private static final Pattern USAGE_OBJECT = Pattern.compile("\"usage\"\\s*:\\s*\\{");

    /** Tokens a response reported; completion is 0 for embeddings. */
    public record Usage(long promptTokens, long completionTokens) {}

    private final byte[] tail = new byte[TAIL];
    private int length;

    public void accept(byte[] buffer, int offset, int count) {
        if (count >= TAIL) {
            System.arraycopy(buffer, offset + count - TAIL, tail, 0, TAIL);
            length = TAIL;
            return;
        }
        int keep = Math.min(length, TAIL - count);
        System.arraycopy(tail, length - keep, tail, 0, keep);
        System.arraycopy(buffer, offset, tail, keep, count);
        length = keep + count;
    }

    /**
     * The last usage object in the response, if it reported one. Chunks may follow it (the
     * asynchronous content filter's annotations come after the usage chunk, each with
     * {@code "usage": null}), so this is the last usage that is an object, not the last mention.
     */
    public java.util.Optional<Usage> usage() {
        String text = new String(tail, 0, length, StandardCharsets.UTF_8);
        Matcher usage = USAGE_OBJECT.matcher(text);
        int at = -1;
        while (usage.find()) {
            at = usage.start();
        }
        if (at < 0) {
            return java.util.Optional.empty();
        }
        String rest = text.substring(at);
        Matcher prompt = PROMPT.matcher(rest);
        if (!prompt.find()) {
            return java.util.Optional.empty();
        }
        Matcher completion = COMPLETION.matcher(rest);
        return java.util.Optional.of(new Usage(Long.parseLong(prompt.group(1)), completion.find() ? Long.parseLong(completion.group(1)) : 0));
    }
}
