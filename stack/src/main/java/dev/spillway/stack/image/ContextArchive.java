package dev.spillway.stack.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The build context as a gzipped tar, the form the registry builds from. The bytes depend only on
 * the files' paths, contents and executable bit: entries in path order, a fixed timestamp, owner 0
 * and no owner names, so the same sources give the same bytes, and the same hash, on any machine
 * and on every run. The hash names the image and the build run, which is what keeps an unchanged
 * {@code pulumi up} from building or rolling out anything.
 */
public final class ContextArchive {

    /** A fixed time for every entry (the docker/Bazel convention for reproducible archives). */
    static final Instant ENTRY_TIME = Instant.parse("1980-01-01T00:00:00Z");

    private final byte[] bytes;
    private final String sha256;
    private final List<String> entries;

    private ContextArchive(byte[] bytes, List<String> entries) {
        this.bytes = bytes;
        this.entries = entries;
        this.sha256 = hex(bytes);
    }

    /**
     * Packs what {@code context} lets in, plus the Dockerfile: the builder needs it even where the
     * ignore file leaves it out (docker sends it the same way).
     *
     * @param dockerfile relative to the context root, such as {@code proxy/Dockerfile}
     */
    public static ContextArchive of(DockerContext context, String dockerfile) {
        TreeSet<String> files = new TreeSet<>(context.files());
        files.add(dockerfile);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(out))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (String file : files) {
                Path path = context.root().resolve(file);
                byte[] content = Files.readAllBytes(path);
                TarArchiveEntry entry = new TarArchiveEntry(file, true);
                entry.setSize(content.length);
                entry.setMode(Files.isExecutable(path) ? 0100755 : 0100644);
                entry.setModTime(ENTRY_TIME.toEpochMilli());
                entry.setIds(0, 0);
                entry.setNames("", "");
                tar.putArchiveEntry(entry);
                tar.write(content);
                tar.closeArchiveEntry();
            }
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot pack the build context " + context.root(), e);
        }
        return new ContextArchive(out.toByteArray(), List.copyOf(files));
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public int size() {
        return bytes.length;
    }

    /** The paths packed, in archive order. */
    public List<String> entries() {
        return entries;
    }

    /** SHA-256 of the archive's bytes, hex. */
    public String sha256() {
        return sha256;
    }

    /** A short, stable name for this exact context: the image tag and the build run's name. */
    public String tag() {
        return sha256.substring(0, 16);
    }

    private static String hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
