package dev.spillway.stack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pulumi.yaml and every Pulumi.&lt;stack&gt;.yaml in the repository pass the checks the Pulumi CLI
 * makes before it runs the program (see {@link PulumiCliConfigRules} for the source). The last
 * tests pin the port itself on the cases that broke `pulumi up` before.
 */
class PulumiCliConfigRulesTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path ROOT = Path.of("..");

    private static JsonNode yaml(Path file) throws IOException {
        return YAML.readTree(Files.readString(file));
    }

    private static JsonNode yaml(String text) throws IOException {
        return YAML.readTree(text);
    }

    private static List<Path> stackFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(ROOT, "Pulumi.*.yaml")) {
            stream.forEach(files::add);
        }
        return files;
    }

    @Test
    void projectConfigDeclarationsAreValid() throws IOException {
        JsonNode project = yaml(ROOT.resolve("Pulumi.yaml"));

        assertThat(PulumiCliConfigRules.projectErrors(project.path("name").asText(), project.path("config"))).isEmpty();
    }

    @Test
    void everyStackFileInTheRepositoryStartsWithoutErrors() throws IOException {
        JsonNode project = yaml(ROOT.resolve("Pulumi.yaml"));
        List<Path> stacks = stackFiles();

        assertThat(stacks).isNotEmpty();
        for (Path file : stacks) {
            String stack = file.getFileName().toString().replaceAll("^Pulumi\\.|\\.yaml$", "");
            assertThat(PulumiCliConfigRules.stackErrors(project.path("name").asText(), stack, project.path("config"),
                    yaml(file).path("config"))).as(file.toString()).isEmpty();
        }
    }

    @Test
    void aNewStackWithNoConfigAtAllStarts() throws IOException {
        // `pulumi stack init prod && pulumi up` with nothing set: every key needs a default.
        JsonNode project = yaml(ROOT.resolve("Pulumi.yaml"));

        assertThat(PulumiCliConfigRules.stackErrors(project.path("name").asText(), "prod", project.path("config"), null)).isEmpty();
    }

    @Test
    void secretKeyWithoutDefaultIsRequiredOnEveryStack() throws IOException {
        JsonNode project = yaml("keys: {type: string, secret: true}");

        assertThat(PulumiCliConfigRules.stackErrors("spillway", "dev", project, yaml("spillway:location: eastus")))
                .containsExactly("Stack 'dev' is missing configuration value 'keys'");
    }

    @Test
    void secretKeyWithAPlainDefaultIsRefused() throws IOException {
        JsonNode project = yaml("keys: {type: string, secret: true, default: ''}");

        assertThat(PulumiCliConfigRules.stackErrors("spillway", "dev", project, null))
                .containsExactly("Stack 'dev' with configuration key 'keys' must be encrypted as it's secret");
    }

    @Test
    void secretKeyWithAnEncryptedValueIsAccepted() throws IOException {
        JsonNode project = yaml("keys: {type: string, secret: true}");

        assertThat(PulumiCliConfigRules.stackErrors("spillway", "dev", project, yaml("spillway:keys: {secure: AAABAG1hZ2lj}"))).isEmpty();
    }

    @Test
    void integerKeysTakeStringsThatParseAsIntegers() throws IOException {
        JsonNode project = yaml("capacity: {type: integer, default: 30}");

        assertThat(PulumiCliConfigRules.stackErrors("spillway", "dev", project, yaml("spillway:capacity: '50'"))).isEmpty();
        assertThat(PulumiCliConfigRules.stackErrors("spillway", "dev", project, yaml("spillway:capacity: lots")))
                .containsExactly("Stack 'dev' with configuration key 'capacity' must be of type 'integer'");
    }

    @Test
    void arrayKeysCheckEveryItem() throws IOException {
        JsonNode project = yaml("priorities: {type: array, items: {type: integer}, default: []}");

        assertThat(PulumiCliConfigRules.stackErrors("spillway", "dev", project, yaml("spillway:priorities: [1, x]")))
                .containsExactly("Stack 'dev' with configuration key 'priorities' must be of type 'array<integer>'");
        assertThat(PulumiCliConfigRules.projectErrors("spillway", yaml("regions: {type: array, default: []}")))
                .containsExactly("The configuration key 'regions' declares an array but does not specify the underlying type via the 'items' attribute");
    }
}
