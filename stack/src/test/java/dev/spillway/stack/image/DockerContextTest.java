package dev.spillway.stack.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy image's build context (the repository root, filtered by .dockerignore) holds what
 * proxy/Dockerfile copies and nothing that changes without the image changing, since
 * pulumi-docker hashes every file of the context into the image's inputs.
 */
class DockerContextTest {

    private static final Path ROOT = Path.of("..");
    private final DockerContext context = DockerContext.at(ROOT);

    @Test
    void gitMetadataBuildOutputsDocsAndTheOtherModulesSourcesAreOut() {
        assertThat(List.of(".git/HEAD", ".git/objects/ab/cdef", "proxy/target/spillway-proxy.jar", "target/classes/x.class",
                "stack/target/classes/App.class", "docs/BENCHMARKS.md", "README.md", "Pulumi.dev.yaml",
                "stack/src/main/java/dev/spillway/stack/App.java", "bench/src/main/java/dev/spillway/bench/BenchMain.java",
                "proxy/src/test/java/dev/spillway/proxy/InvariantsIT.java", "simulator/src/test/java/X.java", "scripts/test",
                ".dockerignore", ".idea/workspace.xml"))
                .allSatisfy(path -> assertThat(context.includes(path)).as(path).isFalse());
    }

    @Test
    void theParentPomEveryModulePomAndTheMainSourcesTheImageBuildsFromAreIn() {
        assertThat(List.of("pom.xml", "proxy/pom.xml", "simulator/pom.xml", "stack/pom.xml", "bench/pom.xml",
                "proxy/src/main/java/dev/spillway/proxy/Main.java", "proxy/src/main/resources/logback.xml",
                "simulator/src/main/java/dev/spillway/simulator/Simulator.java"))
                .allSatisfy(path -> assertThat(context.includes(path)).as(path).isTrue());
    }

    @Test
    void everyPathTheDockerfileCopiesFromTheContextIsInIt() throws IOException {
        Matcher copy = Pattern.compile("(?m)^COPY\\s+(?!--from)(.+)\\s+\\S+$").matcher(Files.readString(ROOT.resolve("proxy/Dockerfile")));
        List<String> files = context.files();
        int copies = 0;
        while (copy.find()) {
            for (String source : copy.group(1).trim().split("\\s+")) {
                String prefix = source.replaceAll("/$", "");
                assertThat(files).as("files the context gives for COPY " + source)
                        .anyMatch(file -> file.equals(prefix) || file.startsWith(prefix + "/"));
                copies++;
            }
        }
        assertThat(copies).as("COPY sources found in proxy/Dockerfile").isGreaterThanOrEqualTo(5);
    }

    @Test
    void digestChangesWithTheSourcesButNotWithBuildOutputsOrGit(@TempDir Path repo) throws IOException {
        Files.copy(ROOT.resolve(".dockerignore"), repo.resolve(".dockerignore"));
        write(repo, "pom.xml", "<project/>");
        write(repo, "proxy/src/main/java/Main.java", "class Main {}");
        DockerContext copy = DockerContext.at(repo);
        String before = copy.digest();

        write(repo, "proxy/target/spillway-proxy.jar", "built");
        write(repo, ".git/HEAD", "ref: refs/heads/main");
        write(repo, "docs/NOTES.md", "notes");
        assertThat(copy.digest()).as("after a build, a commit and a doc change").isEqualTo(before);

        write(repo, "proxy/src/main/java/Main.java", "class Main { int changed; }");
        assertThat(copy.digest()).as("after a source change").isNotEqualTo(before);
    }

    @Test
    void rulesFollowDockersOrderNegationAndGlobs(@TempDir Path repo) throws IOException {
        // docs.docker.com, .dockerignore: the last matching line wins, `!` makes an exception,
        // `*` stays in one segment, `**` spans any number of them, a directory match covers its contents.
        Files.writeString(repo.resolve(".dockerignore"), "# comment\n*.md\n!README.md\n**/*.log\ndocs\nsrc/*/tmp\n");
        DockerContext rules = DockerContext.at(repo);

        assertThat(rules.includes("NOTES.md")).isFalse();
        assertThat(rules.includes("README.md")).isTrue();
        assertThat(rules.includes("sub/NOTES.md")).as("* does not cross /").isTrue();
        assertThat(rules.includes("a/b/c/trace.log")).isFalse();
        assertThat(rules.includes("docs/deep/file.txt")).isFalse();
        assertThat(rules.includes("src/x/tmp/file")).isFalse();
        assertThat(rules.includes("src/x/y/tmp/file")).isTrue();
        assertThat(rules.includes("./README.md")).isTrue();
    }

    private static void write(Path root, String file, String content) throws IOException {
        Path path = root.resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, content);
    }
}
