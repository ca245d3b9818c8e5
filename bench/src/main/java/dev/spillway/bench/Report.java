package dev.spillway.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The Markdown text of a run, built section by section: what is printed and written to docs/BENCHMARKS.md. */
final class Report {

    private final List<String> lines = new ArrayList<>();

    void line(String text) {
        lines.add(text);
    }

    /** A paragraph: the text, then a blank line. */
    void paragraph(String text) {
        lines.add(text);
        lines.add("");
    }

    void heading(String text) {
        paragraph("## " + text);
    }

    void tableHeader(String... columns) {
        lines.add("| " + String.join(" | ", columns) + " |");
        lines.add("|" + "---|".repeat(columns.length));
    }

    void row(Object... cells) {
        StringBuilder row = new StringBuilder("|");
        for (Object cell : cells) {
            row.append(' ').append(cell).append(" |");
        }
        lines.add(row.toString());
    }

    String text() {
        return String.join("\n", lines) + "\n";
    }

    static String verdict(boolean met) {
        return met ? "met" : "**not met**";
    }

    static String ms(double millis) {
        return Double.isNaN(millis) ? "-" : String.format(Locale.ROOT, "%.2f ms", millis);
    }

    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.0f MB", bytes / 1e6);
    }

    /** A ratio to the peer, such as {@code 0.62x}. */
    static String times(double ratio) {
        return Double.isNaN(ratio) || Double.isInfinite(ratio) ? "-" : String.format(Locale.ROOT, "%.2fx", ratio);
    }

    static String format(String pattern, Object... values) {
        return String.format(Locale.ROOT, pattern, values);
    }
}
