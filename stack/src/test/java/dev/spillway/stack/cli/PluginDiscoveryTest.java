package dev.spillway.stack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Before `pulumi up` (and for `pulumi install`) the Java language host asks the program which
 * plugins it needs by running, in the program's folder (Pulumi.yaml: main: stack/), exactly
 * {@code mvn -Dorg.slf4j.simpleLogger.logFile=System.err --no-transfer-progress compile exec:java
 * -DmainClass=com.pulumi.bootstrap.internal.Main -DmainArgs=packages} (pulumi-java
 * {@code pkg/internal/executors/executor_maven.go}, PluginArgs) and reading a JSON list from stdout.
 * A main class fixed in the pom runs the program instead, without an engine, and lists nothing.
 */
class PluginDiscoveryTest {

    @Test
    void languageHostsPluginQueryListsAzureNativeAndDocker() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(maven(), "-Dorg.slf4j.simpleLogger.logFile=System.err", "--no-transfer-progress",
                "compile", "exec:java", "-DmainClass=com.pulumi.bootstrap.internal.Main", "-DmainArgs=packages"));
        ProcessBuilder builder = new ProcessBuilder(command).directory(new File("."))
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process maven = builder.start();
        byte[] out = maven.getInputStream().readAllBytes();
        assertThat(maven.waitFor(5, TimeUnit.MINUTES)).as("plugin query finished").isTrue();
        String stdout = new String(out, StandardCharsets.UTF_8);

        assertThat(maven.exitValue()).as("exit code; stdout: " + stdout).isZero();
        // Maven's console writes colour resets (ESC[0m) around the program's output even when stdout is no terminal.
        String json = stdout.lines().map(line -> line.replaceAll("\u001B\\[[0-9;]*m", "").trim()).filter(line -> line.startsWith("[{"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no JSON list on stdout: " + stdout));
        JsonNode packages = new ObjectMapper().readTree(json);
        List<String> names = new ArrayList<>();
        packages.forEach(plugin -> {
            assertThat(plugin.path("resource").asBoolean()).as(plugin.toString()).isTrue();
            names.add(plugin.path("name").asText() + "@" + plugin.path("version").asText());
        });
        assertThat(names).containsExactlyInAnyOrder("azure-native@2.10.0", "docker@4.5.1");
    }

    /** The mvn that runs this build, else the one on PATH. */
    private static String maven() {
        String home = System.getProperty("maven.home", System.getenv("MAVEN_HOME"));
        if (home != null && Files.isExecutable(Path.of(home, "bin", "mvn"))) {
            return Path.of(home, "bin", "mvn").toString();
        }
        return "mvn";
    }
}
