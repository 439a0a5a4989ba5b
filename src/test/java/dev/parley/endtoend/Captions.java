package dev.parley.endtoend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/** Counts the cues of caption files, checking the lines that time them. */
final class Captions {

    private static final Pattern VTT_TIME = Pattern.compile("\\d{2}:\\d{2}:\\d{2}\\.\\d{3} --> \\d{2}:\\d{2}:\\d{2}\\.\\d{3}");
    private static final Pattern SRT_TIME = Pattern.compile("\\d{2}:\\d{2}:\\d{2},\\d{3} --> \\d{2}:\\d{2}:\\d{2},\\d{3}");

    private Captions() {
    }

    static long vttCues(Path file) throws Exception {
        List<String> lines = Files.readAllLines(file);
        if (!lines.get(0).equals("WEBVTT")) {
            throw new AssertionError(file + " does not start with WEBVTT");
        }
        return lines.stream().filter(l -> l.contains("-->")).peek(l -> {
            if (!VTT_TIME.matcher(l).matches()) {
                throw new AssertionError("bad VTT timing line: " + l);
            }
        }).count();
    }

    static long srtCues(Path file) throws Exception {
        return Files.readAllLines(file).stream().filter(l -> l.contains("-->")).peek(l -> {
            if (!SRT_TIME.matcher(l).matches()) {
                throw new AssertionError("bad SRT timing line: " + l);
            }
        }).count();
    }
}
