package dev.spillway.stack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Pulumi.yaml declares the configuration; the README's table and the program's defaults must agree with it. */
class ConfigReferenceTest {

    private static final Pattern ROW = Pattern.compile("^\\| `([A-Za-z]+)` \\| ([^|]+) \\| ([^|]+) \\| ([^|]+) \\|$", Pattern.MULTILINE);

    private static JsonNode declared() throws IOException {
        return new ObjectMapper(new YAMLFactory()).readTree(Files.readString(Path.of("../Pulumi.yaml"))).path("config");
    }

    @Test
    void readmeTableListsEveryDeclaredKeyWithItsDefaultAndDescription() throws IOException {
        Map<String, String[]> rows = new HashMap<>();
        Matcher matcher = ROW.matcher(Files.readString(Path.of("../README.md")));
        while (matcher.find()) {
            rows.put(matcher.group(1), new String[] {matcher.group(2).trim(), matcher.group(3).trim(), matcher.group(4).trim()});
        }
        for (Iterator<Map.Entry<String, JsonNode>> keys = declared().fields(); keys.hasNext(); ) {
            Map.Entry<String, JsonNode> key = keys.next();
            assertThat(rows).as("README row for " + key.getKey()).containsKey(key.getKey());
            String[] row = rows.get(key.getKey());
            assertThat(row[2]).as("description of " + key.getKey()).isEqualTo(key.getValue().path("description").asText());
            JsonNode fallback = key.getValue().path("default");
            if (fallback.isValueNode() && !fallback.asText().isEmpty()) {
                assertThat(row[1]).as("default of " + key.getKey()).isEqualTo("`" + fallback.asText() + "`");
            }
        }
    }

    @Test
    void programDefaultsAreTheDeclaredDefaults() throws IOException {
        Map<String, String> defaults = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> keys = declared().fields(); keys.hasNext(); ) {
            Map.Entry<String, JsonNode> key = keys.next();
            JsonNode fallback = key.getValue().path("default");
            if (!fallback.isMissingNode()) {
                defaults.put(key.getKey(), fallback.isContainerNode() ? fallback.toString() : fallback.asText());
            }
        }

        StackConfig fromDeclared = StackConfig.read(key -> Optional.ofNullable(defaults.get(key)), key -> true);
        StackConfig fromProgram = StackConfig.read(key -> Optional.empty(), key -> true);

        assertThat(fromDeclared).isEqualTo(fromProgram);
    }
}
