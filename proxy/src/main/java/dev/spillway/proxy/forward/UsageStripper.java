package dev.spillway.proxy.forward;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Takes out of a server-sent event stream what {@code "stream_options": {"include_usage": true}}
 * added to it, for a client that did not ask for it: the usage chunk (an event whose top-level
 * {@code usage} is an object and whose {@code choices} are empty) is dropped, and the top-level
 * {@code "usage": null} member of every other event is removed, so the client gets the stream it
 * asked for. Events are passed on whole, as soon as their blank line arrives; a partial event waits
 * for the rest. Anything that is not a JSON object (such as {@code [DONE]}) passes as it came.
 */
public final class UsageStripper {

    private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] USAGE = "usage".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHOICES = "choices".getBytes(StandardCharsets.US_ASCII);
    /** One event may not grow past this while the proxy waits for its end; beyond it, bytes pass as they come. */
    private static final int MAX_EVENT = 1 << 20;

    private byte[] held = new byte[0];
    private int heldLength;
    private boolean passThrough;

    /** The bytes to relay for this chunk: its complete events, stripped; with {@code last}, whatever is held too. */
    public ByteBuffer strip(ByteBuffer chunk, boolean last) {
        if (passThrough) {
            return chunk;
        }
        byte[] bytes = new byte[heldLength + chunk.remaining()];
        System.arraycopy(held, 0, bytes, 0, heldLength);
        chunk.get(chunk.position(), bytes, heldLength, chunk.remaining());
        byte[] out = new byte[bytes.length];
        int outLength = 0;
        int eventStart = 0;
        int i = 0;
        while (i < bytes.length) {
            int end = blankLineEnd(bytes, i);
            if (end < 0) {
                i++;
                continue;
            }
            outLength = event(bytes, eventStart, end, out, outLength);
            eventStart = end;
            i = end;
        }
        if (last) {
            outLength = event(bytes, eventStart, bytes.length, out, outLength);
            heldLength = 0;
        } else if (bytes.length - eventStart > MAX_EVENT) {
            // Not an event stream as the proxy knows it: stop holding anything back.
            System.arraycopy(bytes, eventStart, out, outLength, bytes.length - eventStart);
            outLength += bytes.length - eventStart;
            heldLength = 0;
            passThrough = true;
        } else {
            held = Arrays.copyOfRange(bytes, eventStart, bytes.length);
            heldLength = held.length;
        }
        return ByteBuffer.wrap(out, 0, outLength);
    }

    /** If a blank line (the end of an event) ends at {@code i}'s line break, where it ends; else -1. */
    private static int blankLineEnd(byte[] b, int i) {
        if (b[i] == '\n') {
            if (i + 1 < b.length && b[i + 1] == '\n') {
                return i + 2;
            }
            if (i + 2 < b.length && b[i + 1] == '\r' && b[i + 2] == '\n') {
                return i + 3;
            }
        }
        return -1;
    }

    /** Copies the event in [from, to) to {@code out}, less what the usage option added; returns the new length of {@code out}. */
    private static int event(byte[] b, int from, int to, byte[] out, int outLength) {
        int line = from;
        int start = outLength;
        while (line < to) {
            int lineEnd = line;
            while (lineEnd < to && b[lineEnd] != '\n') {
                lineEnd++;
            }
            int next = Math.min(to, lineEnd + 1);
            int json = jsonStart(b, line, lineEnd);
            if (json >= 0) {
                Members members = Members.of(b, json, lineEnd);
                if (members != null && members.usageValue >= 0) {
                    if (b[members.usageValue] == '{' && members.choicesEmpty) {
                        // The usage chunk: the whole event goes.
                        return start;
                    }
                    System.arraycopy(b, line, out, outLength, members.cutFrom - line);
                    outLength += members.cutFrom - line;
                    System.arraycopy(b, members.cutTo, out, outLength, next - members.cutTo);
                    outLength += next - members.cutTo;
                    line = next;
                    continue;
                }
            }
            System.arraycopy(b, line, out, outLength, next - line);
            outLength += next - line;
            line = next;
        }
        return outLength;
    }

    /** Where the JSON object of a {@code data:} line starts, or -1. */
    private static int jsonStart(byte[] b, int from, int to) {
        if (to - from < DATA.length || !Arrays.equals(b, from, from + DATA.length, DATA, 0, DATA.length)) {
            return -1;
        }
        int i = from + DATA.length;
        while (i < to && b[i] == ' ') {
            i++;
        }
        return i < to && b[i] == '{' ? i : -1;
    }

    /**
     * The top-level members of one JSON object that matter here: where the {@code usage} member's
     * value starts (-1 without one), the span to cut to remove that member with its comma, and
     * whether {@code choices} is an empty array. Null when the text is not a well-formed object.
     */
    private record Members(int usageValue, int cutFrom, int cutTo, boolean choicesEmpty) {

        static Members of(byte[] b, int open, int to) {
            int usageValue = -1;
            int cutFrom = -1;
            int cutTo = -1;
            boolean choicesEmpty = false;
            int previousEnd = -1;
            int i = skipSpace(b, open + 1, to);
            if (i < to && b[i] == '}') {
                return new Members(-1, -1, -1, false);
            }
            while (i < to) {
                if (b[i] != '"') {
                    return null;
                }
                int keyStart = i;
                int keyEnd = stringEnd(b, i, to);
                if (keyEnd < 0) {
                    return null;
                }
                i = skipSpace(b, keyEnd, to);
                if (i >= to || b[i] != ':') {
                    return null;
                }
                int valueStart = skipSpace(b, i + 1, to);
                int valueEnd = valueEnd(b, valueStart, to);
                if (valueEnd < 0) {
                    return null;
                }
                int after = skipSpace(b, valueEnd, to);
                if (after >= to) {
                    return null;
                }
                boolean more = b[after] == ',';
                if (!more && b[after] != '}') {
                    return null;
                }
                if (key(b, keyStart, keyEnd, USAGE)) {
                    usageValue = valueStart;
                    if (more) {
                        cutFrom = keyStart;
                        cutTo = skipSpace(b, after + 1, to);
                    } else {
                        // The last member: cut the comma before it, or nothing is left but the braces.
                        cutFrom = previousEnd >= 0 ? previousEnd : keyStart;
                        cutTo = valueEnd;
                    }
                } else if (key(b, keyStart, keyEnd, CHOICES)) {
                    choicesEmpty = b[valueStart] == '[' && b[skipSpace(b, valueStart + 1, to)] == ']';
                }
                previousEnd = valueEnd;
                if (!more) {
                    return new Members(usageValue, cutFrom, cutTo, choicesEmpty);
                }
                i = skipSpace(b, after + 1, to);
            }
            return null;
        }

        private static boolean key(byte[] b, int start, int end, byte[] name) {
            return end - start == name.length + 2 && Arrays.equals(b, start + 1, end - 1, name, 0, name.length);
        }

        /** The index after the closing quote of the string that opens at {@code i}, or -1. */
        private static int stringEnd(byte[] b, int i, int to) {
            for (int j = i + 1; j < to; j++) {
                if (b[j] == '\\') {
                    j++;
                } else if (b[j] == '"') {
                    return j + 1;
                }
            }
            return -1;
        }

        /** The index after the value that starts at {@code i}, or -1. */
        private static int valueEnd(byte[] b, int i, int to) {
            if (i >= to) {
                return -1;
            }
            if (b[i] == '"') {
                return stringEnd(b, i, to);
            }
            if (b[i] == '{' || b[i] == '[') {
                int depth = 0;
                for (int j = i; j < to; j++) {
                    byte c = b[j];
                    if (c == '"') {
                        j = stringEnd(b, j, to);
                        if (j < 0) {
                            return -1;
                        }
                        j--;
                    } else if (c == '{' || c == '[') {
                        depth++;
                    } else if (c == '}' || c == ']') {
                        if (--depth == 0) {
                            return j + 1;
                        }
                    }
                }
                return -1;
            }
            int j = i;
            while (j < to && b[j] != ',' && b[j] != '}' && b[j] != ' ' && b[j] != '\r' && b[j] != '\n' && b[j] != '\t') {
                j++;
            }
            return j == i ? -1 : j;
        }

        private static int skipSpace(byte[] b, int i, int to) {
            while (i < to && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) {
                i++;
            }
            return i;
        }
    }
}
