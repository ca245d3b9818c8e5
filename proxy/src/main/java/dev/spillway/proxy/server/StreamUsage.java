package dev.spillway.proxy.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spillway.proxy.route.ReplayPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Asking the account for a stream's usage on the client's behalf. Azure sends a chat or completions
 * stream's usage only to a request that says {@code "stream_options": {"include_usage": true}};
 * a caller with a budget must be charged what its streams used, so the proxy adds that to what it
 * forwards, and takes the usage chunk (and the {@code "usage": null} the option puts on every other
 * chunk) out of what it relays ({@link dev.spillway.proxy.forward.UsageStripper}).
 */
final class StreamUsage {

    /**
     * Versions that know the field. It is in the GA API from 2024-10-21 and in the previews from
     * 2024-08-01-preview (learn.microsoft.com, Azure OpenAI REST API reference, "chatCompletionStreamOptions";
     * spring-projects/spring-ai#1724); older versions answer 400 "Unknown parameter: 'stream_options'"
     * (learn.microsoft.com/en-us/answers/questions/2007680), so for them nothing is added and the
     * reservation stands as the charge.
     */
    private static final String FIRST_GA = "2024-10-21";
    private static final String FIRST_PREVIEW = "2024-08-01";
    private static final Pattern VERSION = Pattern.compile("(\\d{4}-\\d{2}-\\d{2})(-preview)?");
    private static final List<String> STREAMED_OPERATIONS = List.of("chat/completions", "completions");
    private static final byte[] OPTION = "\"stream_options\":{\"include_usage\":true},".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();

    private StreamUsage() {}

    /** Whether the proxy should ask for the usage of this request's stream, the client not having asked. */
    static boolean shouldAsk(List<String> segments, String apiVersion, RequestInspector.Streaming streaming) {
        if (!streaming.streams() || streaming.asksUsage() || !STREAMED_OPERATIONS.contains(ReplayPolicy.operation(segments))) {
            return false;
        }
        if (segments.get(1).equals("v1")) {
            return true;
        }
        Matcher version = apiVersion == null ? null : VERSION.matcher(apiVersion);
        if (version == null || !version.matches()) {
            return false;
        }
        return version.group(1).compareTo(version.group(2) == null ? FIRST_GA : FIRST_PREVIEW) >= 0;
    }

    /** The body with {@code stream_options.include_usage} set to true, everything else as it was. */
    static byte[] ask(byte[] body, RequestInspector.Streaming streaming) {
        if (!streaming.hasOptions()) {
            // The usual case: the field goes in just after the opening brace, the client's bytes untouched.
            int brace = 0;
            while (brace < body.length && body[brace] != '{') {
                brace++;
            }
            byte[] asked = new byte[body.length + OPTION.length];
            System.arraycopy(body, 0, asked, 0, brace + 1);
            System.arraycopy(OPTION, 0, asked, brace + 1, OPTION.length);
            System.arraycopy(body, brace + 1, asked, brace + 1 + OPTION.length, body.length - brace - 1);
            return asked;
        }
        try {
            ObjectNode request = (ObjectNode) JSON.readTree(body);
            JsonNode options = request.get("stream_options");
            ObjectNode replaced = options instanceof ObjectNode object ? object : request.putObject("stream_options");
            replaced.put("include_usage", true);
            return JSON.writeValueAsBytes(request);
        } catch (IOException | ClassCastException e) {
            // The inspector read this body as a JSON object already; if it cannot be rewritten, it goes as it came.
            return body;
        }
    }
}
