package dev.spillway.proxy.server;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A request path as the proxy forwards it: decoded segments with no way out of {@code /openai/}.
 * The raw path from the request line is refused, rather than cleaned up, if it has anything a
 * server or a proxy on the way could read differently from the proxy: dot segments ({@code .},
 * {@code ..}), encoded separators or dots ({@code %2F}, {@code %5C}, {@code %2E}), {@code \},
 * encoded {@code %} ({@code %25}, which a second decoding turns into anything), empty segments,
 * {@code ;} parameters, control characters, broken percent-encoding or UTF-8. What is forwarded
 * is re-encoded from the decoded segments, so routing, quota and the backend all see one name.
 *
 * @param segments the decoded segments, such as {@code [openai, deployments, chat, chat, completions]}
 * @param encoded  the path to forward, such as {@code /openai/deployments/chat/chat/completions}
 */
record CanonicalPath(List<String> segments, String encoded) {

    private static final String FIX = " Send the canonical path: no '.' or '..' segments, no '//', no ';', "
            + "no '\\', and no percent-encoded '/', '\\', '.' or '%'.";

    CanonicalPath {
        segments = List.copyOf(segments);
    }

    static CanonicalPath parse(String raw) throws BadRequestException {
        if (raw == null || raw.isEmpty() || raw.charAt(0) != '/') {
            throw refused("The request path must start with '/'.");
        }
        List<String> segments = new ArrayList<>();
        StringBuilder encoded = new StringBuilder(raw.length());
        for (String rawSegment : raw.substring(1).split("/", -1)) {
            String segment = decode(rawSegment);
            if (segment.isEmpty()) {
                throw refused("The request path has an empty segment ('//' or a trailing '/').");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw refused("The request path has a '.' or '..' segment.");
            }
            segments.add(segment);
            encoded.append('/');
            encode(segment, encoded);
        }
        return new CanonicalPath(segments, encoded.toString());
    }

    /** Whether this is {@code /openai/} followed by at least one segment. */
    boolean underOpenAi() {
        return segments.size() >= 2 && segments.get(0).equals("openai");
    }

    private static String decode(String raw) throws BadRequestException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int high = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int low = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 2), 16) : -1;
                if (high < 0 || low < 0) {
                    throw refused("The request path has a '%' that is not followed by two hex digits.");
                }
                int b = high * 16 + low;
                if (b == '/' || b == '\\' || b == '.' || b == '%' || b == ';') {
                    throw refused("The request path has a percent-encoded '/', '\\', '.', '%' or ';'.");
                }
                if (b < 0x20 || b == 0x7f) {
                    throw refused("The request path has an encoded control character.");
                }
                bytes.write(b);
                i += 2;
            } else if (c == '\\' || c == ';') {
                throw refused("The request path has a '\\' or a ';' parameter.");
            } else if (c <= 0x20 || c >= 0x7f) {
                throw refused("The request path has a character that must be percent-encoded.");
            } else {
                bytes.write(c);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw refused("The request path's percent-encoding is not valid UTF-8.");
        }
    }

    /** RFC 3986 pchar, less ';' (a parameter to some servers): everything else percent-encoded as UTF-8. */
    private static void encode(String segment, StringBuilder out) {
        for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~!$&'()*+,=:@".indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
    }

    private static BadRequestException refused(String what) {
        return new BadRequestException(400, "invalid_path", what + FIX);
    }
}
