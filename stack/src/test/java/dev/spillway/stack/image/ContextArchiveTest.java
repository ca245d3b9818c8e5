package dev.spillway.stack.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry build's context: the same sources give the same bytes anywhere, and only what the image needs is in it. */
class ContextArchiveTest {

    private static final String IGNORE = "*\n!pom.xml\n!proxy/src/main\n";

    private static void write(Path root, String file, String content, Instant modified) throws IOException {
        Path path = root.resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, content);
        Files.setLastModifiedTime(path, FileTime.from(modified));
    }

    /** A checkout as a developer would have it: sources, a Dockerfile, a build output and git metadata. */
    private static Path checkout(Path root, Instant modified) throws IOException {
        write(root, ".dockerignore", IGNORE, modified);
        write(root, "pom.xml", "<project/>", modified);
        write(root, "proxy/Dockerfile", "FROM scratch\nCOPY proxy/src/main /src\n", modified);
        write(root, "proxy/src/main/java/Main.java", "class Main {}", modified);
        write(root, "proxy/src/main/resources/logback.xml", "<configuration/>", modified);
        write(root, "proxy/target/spillway-proxy.jar", "built " + modified, modified);
        write(root, ".git/HEAD", "ref: refs/heads/" + modified.getEpochSecond(), modified);
        return root;
    }

    private static ContextArchive pack(Path root) {
        return ContextArchive.of(DockerContext.at(root), "proxy/Dockerfile");
    }

    private static List<TarArchiveEntry> entries(ContextArchive archive) throws IOException {
        List<TarArchiveEntry> entries = new ArrayList<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(archive.bytes())))) {
            for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                entries.add(entry);
            }
        }
        return entries;
    }

    @Test
    void sameSourcesGiveTheSameBytesOnEveryRun(@TempDir Path root) throws IOException {
        checkout(root, Instant.parse("2026-11-30T10:00:00Z"));

        assertThat(pack(root).bytes()).isEqualTo(pack(root).bytes());
    }

    @Test
    void bytesDoNotDependOnTimestampsBuildOutputsGitOrWhereTheCheckoutLives(@TempDir Path one, @TempDir Path two) throws IOException {
        ContextArchive here = pack(checkout(one, Instant.parse("2026-11-30T10:00:00Z")));
        ContextArchive elsewhere = pack(checkout(two.resolve("another/machine"), Instant.parse("2027-01-15T18:30:00Z")));

        assertThat(elsewhere.bytes()).isEqualTo(here.bytes());
        assertThat(elsewhere.sha256()).isEqualTo(here.sha256());
    }

    @Test
    void aSourceChangeChangesTheHash(@TempDir Path root) throws IOException {
        Instant now = Instant.parse("2026-11-30T10:00:00Z");
        String before = pack(checkout(root, now)).sha256();

        write(root, "proxy/src/main/java/Main.java", "class Main { int changed; }", now);

        assertThat(pack(root).sha256()).isNotEqualTo(before);
    }

    @Test
    void onlyWhatTheIgnoreFileLetsInPlusTheDockerfileIsPacked(@TempDir Path root) throws IOException {
        ContextArchive archive = pack(checkout(root, Instant.parse("2026-11-30T10:00:00Z")));

        assertThat(archive.entries()).containsExactly("pom.xml", "proxy/Dockerfile", "proxy/src/main/java/Main.java",
                "proxy/src/main/resources/logback.xml");
        assertThat(entries(archive)).extracting(TarArchiveEntry::getName).isEqualTo(archive.entries());
    }

    @Test
    void entriesCarryAFixedTimeAndNoOwner(@TempDir Path root) throws IOException {
        ContextArchive archive = pack(checkout(root, Instant.parse("2026-11-30T10:00:00Z")));

        assertThat(entries(archive)).allSatisfy(entry -> {
            assertThat(entry.getModTime().toInstant()).isEqualTo(Instant.parse("1980-01-01T00:00:00Z"));
            assertThat(entry.getLongUserId()).isZero();
            assertThat(entry.getLongGroupId()).isZero();
            assertThat(entry.getUserName()).isEmpty();
            assertThat(entry.getMode() & 0777).isEqualTo(0644);
        });
    }

    @Test
    void theRepositorysOwnContextHoldsTheProxySourcesAndNoBuildOutput() {
        ContextArchive archive = ContextArchive.of(DockerContext.at(Path.of("..")), "proxy/Dockerfile");

        assertThat(archive.entries()).contains("pom.xml", "proxy/Dockerfile", "proxy/pom.xml")
                .anyMatch(entry -> entry.startsWith("proxy/src/main/java/"))
                .noneMatch(entry -> entry.contains("/target/") || entry.startsWith(".git/") || entry.startsWith("stack/src/"));
        assertThat(archive.size()).as("bytes uploaded per build").isLessThan(2_000_000);
    }
}
