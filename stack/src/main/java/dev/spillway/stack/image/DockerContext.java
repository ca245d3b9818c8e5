package dev.spillway.stack.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A docker build context: a folder and the rules of its {@code .dockerignore}, applied as Docker
 * applies them (docs.docker.com, "Dockerfile reference: .dockerignore file"; moby's
 * patternmatcher): lines starting with {@code #} are comments, patterns are cleaned paths relative
 * to the context root, {@code *} and {@code ?} stay inside one path segment, {@code **} spans any
 * number of them, a pattern that matches a directory matches everything under it, a leading
 * {@code !} makes an exception, and the last pattern that matches a path decides.
 * pulumi-docker hashes exactly the files these rules let in, so the same rules decide when
 * {@code pulumi up} rebuilds the image.
 */
public final class DockerContext {

    private record Rule(Pattern pattern, boolean exception) {}

    private final Path root;
    private final List<Rule> rules;

    private DockerContext(Path root, List<Rule> rules) {
        this.root = root.toAbsolutePath().normalize();
        this.rules = rules;
    }

    /** The context at {@code root}, with the rules of {@code root/.dockerignore} (none if it is absent). */
    public static DockerContext at(Path root) {
        Path ignore = root.resolve(".dockerignore");
        try {
            return new DockerContext(root, Files.exists(ignore) ? parse(Files.readAllLines(ignore, StandardCharsets.UTF_8)) : List.of());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + ignore, e);
        }
    }

    /** The context's folder. */
    public Path root() {
        return root;
    }

    /** Whether a path (relative to the root, with {@code /} separators) is sent to the builder. */
    public boolean includes(String relativePath) {
        String path = clean(relativePath);
        List<String> candidates = new ArrayList<>();
        candidates.add(path);
        for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
            candidates.add(path.substring(0, slash));
        }
        boolean excluded = false;
        for (Rule rule : rules) {
            if (candidates.stream().anyMatch(candidate -> rule.pattern().matcher(candidate).matches())) {
                excluded = !rule.exception();
            }
        }
        return !excluded;
    }

    /** Every regular file in the context, relative to the root, in a stable order. */
    public List<String> files() {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile)
                    .map(file -> root.relativize(file).toString().replace('\\', '/'))
                    .filter(this::includes)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the build context " + root, e);
        }
    }

    /** SHA-256 over every included file's path and content: changes exactly when the image's input does. */
    public String digest() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String file : files()) {
                sha.update(file.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(root.resolve(file))));
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the build context " + root, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    static List<Rule> parse(List<String> lines) {
        List<Rule> rules = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("#")) {
                continue;
            }
            String pattern = line.trim();
            boolean exception = pattern.startsWith("!");
            if (exception) {
                pattern = pattern.substring(1).trim();
            }
            if (pattern.isEmpty()) {
                continue;
            }
            rules.add(new Rule(Pattern.compile(regex(clean(pattern))), exception));
        }
        return List.copyOf(rules);
    }

    /** filepath.Clean for relative slash paths, and no leading slash: patterns are relative to the root. */
    private static String clean(String path) {
        List<String> parts = new ArrayList<>();
        for (String part : path.replace('\\', '/').split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..") && !parts.isEmpty() && !parts.getLast().equals("..")) {
                parts.removeLast();
            } else {
                parts.add(part);
            }
        }
        return parts.isEmpty() ? "." : String.join("/", parts);
    }

    private static String regex(String pattern) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*' && i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
                i++;
                if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '/') {
                    i++;
                    regex.append("(.*/)?");
                } else {
                    regex.append(".*");
                }
            } else if (c == '*') {
                regex.append("[^/]*");
            } else if (c == '?') {
                regex.append("[^/]");
            } else if (c == '[') {
                int close = pattern.indexOf(']', i + 1);
                if (close < 0) {
                    regex.append("\\[");
                } else {
                    String body = pattern.substring(i + 1, close);
                    regex.append('[').append(body.startsWith("^") || body.startsWith("!") ? "^" + body.substring(1) : body).append(']');
                    i = close;
                }
            } else if (c == '\\' && i + 1 < pattern.length()) {
                regex.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return regex.toString();
    }
}
