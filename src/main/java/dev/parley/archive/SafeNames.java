package dev.parley.archive;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Names that become part of a path in the archive (session ids, item ids, language codes) and the
 * check that a resolved path stays inside its folder. Every such name is untrusted, even the
 * server's own: only {@code [A-Za-z0-9_-]{1,64}} is accepted, so no separator, dot, drive letter,
 * NUL or non-ASCII character can reach the file system.
 */
final class SafeNames {

    static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private SafeNames() {
    }

    /** The name itself, or IllegalArgumentException if it is not a safe file name component. */
    static String require(String what, String name) {
        if (name == null || !SAFE.matcher(name).matches()) {
            throw new IllegalArgumentException(what + " must match " + SAFE.pattern() + ", got " + describe(name));
        }
        return name;
    }

    /** {@code child} normalized, or IllegalArgumentException if it is not strictly inside {@code folder}. */
    static Path inside(Path folder, Path child) {
        Path base = folder.toAbsolutePath().normalize();
        Path resolved = child.toAbsolutePath().normalize();
        if (!resolved.startsWith(base) || resolved.equals(base)) {
            throw new IllegalArgumentException(resolved + " is outside " + base);
        }
        return resolved;
    }

    /** A short, printable rendering of an untrusted name for error messages. */
    static String describe(String name) {
        if (name == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        name.codePoints().limit(40).forEach(cp -> {
            if (cp >= 0x20 && cp < 0x7f && cp != '"' && cp != '\\') {
                out.appendCodePoint(cp);
            } else {
                out.append(String.format("\\u{%x}", cp));
            }
        });
        out.append('"');
        if (name.length() > 40) {
            out.append("... (").append(name.length()).append(" chars)");
        }
        return out.toString();
    }
}
