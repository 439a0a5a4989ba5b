package dev.parley.translate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One Apertium {@code .mode} file: a shell pipeline of programs ({@code lt-proc ... | apertium-tagger
 * ... | ...}) turned into argument lists that run without a shell, each program in null-flush mode.
 *
 * <p>Mode files use two shell parameters: {@code $1} is the generator's option ({@code -g} marks
 * unknown words, {@code -n} does not) and {@code $2} the tagger's extra option (empty by default).
 * We pass {@code -n}, as {@code apertium -u} does: see {@link #GENERATOR_OPTION}.
 */
final class ApertiumMode {

    /**
     * Unknown-word marks ({@code *word} not in the dictionary, {@code @word} not in the bilingual
     * dictionary, {@code #word} not generable) help a linguist but would be spoken by TTS and shown to
     * callers. The generator leaves them out itself with {@code -n}; stripping them from the output
     * instead would also strip a caller's own {@code #} or {@code *} (a hashtag), which the generator
     * keeps apart as escaped text.
     */
    static final String GENERATOR_OPTION = "-n";

    /** Programs that handle {@code \0} without a flag (APy's list); every other one gets {@code -z}. */
    private static final Pattern NO_Z = Pattern.compile("vislcg3|cg-mwesplit|hfst-tokeni[sz]e|divvun-suggest");

    /** Shell syntax that needs a real shell; a mode using it is not run. */
    private static final Pattern SHELL_ONLY = Pattern.compile("[;&<>`]|\\$\\(|\\$[0-9A-Za-z{]");

    private final String name;
    private final List<List<String>> commands;

    private ApertiumMode(String name, List<List<String>> commands) {
        this.name = name;
        this.commands = commands;
    }

    /** Reads and parses a mode file; {@link IllegalArgumentException} if it needs a shell. */
    static ApertiumMode read(Path file) {
        String fileName = file.getFileName().toString();
        String name = fileName.endsWith(".mode") ? fileName.substring(0, fileName.length() - 5) : fileName;
        try {
            return parse(name, Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read Apertium mode " + file, e);
        }
    }

    static ApertiumMode parse(String name, String text) {
        List<List<String>> commands = new ArrayList<>();
        for (String segment : splitPipeline(text.strip())) {
            List<String> args = words(segment.replace("$1", GENERATOR_OPTION).replace("$2", ""), name);
            if (args.isEmpty()) {
                throw new IllegalArgumentException("Apertium mode " + name + " has an empty command");
            }
            String program = args.get(0);
            if (!NO_Z.matcher(program).matches() && !args.contains("-z")) {
                args.add(1, "-z");
            }
            commands.add(List.copyOf(args));
        }
        if (commands.isEmpty()) {
            throw new IllegalArgumentException("Apertium mode " + name + " is empty");
        }
        return new ApertiumMode(name, List.copyOf(commands));
    }

    String name() {
        return name;
    }

    /** Each program's arguments, in pipeline order, with {@code -z} added. */
    List<List<String>> commands() {
        return commands;
    }

    /** Splits on {@code |} outside quotes. */
    private static List<String> splitPipeline(String text) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote == 0 && c == '\\' && i + 1 < text.length()) {
                current.append(c).append(text.charAt(++i));
                continue;
            }
            if (quote != 0 && c == quote) {
                quote = 0;
            } else if (quote == 0 && (c == '\'' || c == '"')) {
                quote = c;
            } else if (quote == 0 && c == '|') {
                parts.add(current.toString());
                current.setLength(0);
                continue;
            }
            current.append(c);
        }
        parts.add(current.toString());
        return parts;
    }

    /** Shell words: single quotes literal, double quotes and backslashes as the shell reads them. */
    private static List<String> words(String segment, String mode) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c == '\'') {
                int end = segment.indexOf('\'', i + 1);
                if (end < 0) {
                    throw unsupported(mode, "an unclosed quote");
                }
                word.append(segment, i + 1, end);
                i = end;
                inWord = true;
            } else if (c == '"') {
                int end = i + 1;
                StringBuilder quoted = new StringBuilder();
                for (; end < segment.length() && segment.charAt(end) != '"'; end++) {
                    char q = segment.charAt(end);
                    if (q == '\\' && end + 1 < segment.length() && "\"\\$`".indexOf(segment.charAt(end + 1)) >= 0) {
                        q = segment.charAt(++end);
                    } else if (q == '$' || q == '`') {
                        throw unsupported(mode, "shell expansion in \"" + segment.strip() + "\"");
                    }
                    quoted.append(q);
                }
                if (end >= segment.length()) {
                    throw unsupported(mode, "an unclosed quote");
                }
                word.append(quoted);
                i = end;
                inWord = true;
            } else if (c == '\\' && i + 1 < segment.length()) {
                word.append(segment.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                if (SHELL_ONLY.matcher(segment.substring(i, Math.min(segment.length(), i + 2))).lookingAt()) {
                    throw unsupported(mode, "shell syntax in \"" + segment.strip() + "\"");
                }
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }

    private static IllegalArgumentException unsupported(String mode, String what) {
        return new IllegalArgumentException("Apertium mode " + mode + " uses " + what
                + ", which Parley runs without a shell; use the apy engine for this pair");
    }
}
