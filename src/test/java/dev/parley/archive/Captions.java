package dev.parley.archive;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Strict parsers for the WebVTT and SubRip files the archive (and the browser page) writes: any deviation fails the test. */
public final class Captions {

    public record Cue(long startMs, long endMs, String speaker, String text) {
    }

    public record Parsed(List<Cue> cues) {
    }

    private static final Pattern VTT_TIMING = Pattern.compile(
            "(\\d{2,}):([0-5]\\d):([0-5]\\d)\\.(\\d{3}) --> (\\d{2,}):([0-5]\\d):([0-5]\\d)\\.(\\d{3})");
    private static final Pattern SRT_TIMING = Pattern.compile(
            "(\\d{2,}):([0-5]\\d):([0-5]\\d),(\\d{3}) --> (\\d{2,}):([0-5]\\d):([0-5]\\d),(\\d{3})");
    private static final Pattern VOICE = Pattern.compile("<v ([^<>&\\n]|&(amp|lt|gt);)+>");
    private static final Pattern ENTITY = Pattern.compile("&(amp|lt|gt);");

    private Captions() {
    }

    /** Parses a WebVTT file; speakers are read from a leading {@code <v name>}. */
    public static Parsed parseVtt(String file) {
        assertTrue(file.startsWith("WEBVTT\n\n"), "WebVTT header");
        String body = file.substring("WEBVTT\n\n".length());
        List<Cue> cues = new ArrayList<>();
        if (body.isEmpty()) {
            return new Parsed(cues);
        }
        assertTrue(body.endsWith("\n\n"), "the last cue is complete");
        long lastStart = -1;
        for (String block : body.substring(0, body.length() - 2).split("\n\n", -1)) {
            String[] lines = block.split("\n", -1);
            assertTrue(lines.length >= 2, "timing and text: " + block);
            Matcher t = VTT_TIMING.matcher(lines[0]);
            assertTrue(t.matches(), "timing line: " + lines[0]);
            long start = millis(t, 1);
            long end = millis(t, 5);
            assertTrue(end > start, "cue ends after it starts: " + lines[0]);
            assertTrue(start >= lastStart, "start times never decrease: " + lines[0]);
            lastStart = start;
            String speaker = null;
            StringBuilder text = new StringBuilder();
            for (int i = 1; i < lines.length; i++) {
                String line = lines[i];
                assertFalse(line.isEmpty(), "no blank line inside a cue");
                assertFalse(line.contains("-->"), "no timing arrow in text: " + line);
                if (i == 1) {
                    Matcher v = VOICE.matcher(line);
                    if (v.lookingAt()) {
                        speaker = unescape(line.substring(3, v.end() - 1));
                        line = line.substring(v.end());
                    }
                }
                assertFalse(line.contains("<") || line.contains(">"), "no markup in text: " + line);
                assertFalse(ENTITY.matcher(line).replaceAll("").contains("&"), "& escaped: " + line);
                text.append(i > 1 ? "\n" : "").append(unescape(line));
            }
            cues.add(new Cue(start, end, speaker, text.toString()));
        }
        return new Parsed(cues);
    }

    /** Parses a SubRip file; a speaker is not told apart from the text ({@code channel: text}). */
    public static Parsed parseSrt(String file) {
        List<Cue> cues = new ArrayList<>();
        if (file.isEmpty()) {
            return new Parsed(cues);
        }
        assertTrue(file.endsWith("\n\n"), "the last cue is complete");
        long lastStart = -1;
        int number = 1;
        for (String block : file.substring(0, file.length() - 2).split("\n\n", -1)) {
            String[] lines = block.split("\n", -1);
            assertTrue(lines.length >= 3, "number, timing and text: " + block);
            assertEquals(String.valueOf(number++), lines[0], "cues numbered from 1");
            Matcher t = SRT_TIMING.matcher(lines[1]);
            assertTrue(t.matches(), "timing line: " + lines[1]);
            long start = millis(t, 1);
            long end = millis(t, 5);
            assertTrue(end > start, "cue ends after it starts");
            assertTrue(start >= lastStart, "start times never decrease");
            lastStart = start;
            StringBuilder text = new StringBuilder();
            for (int i = 2; i < lines.length; i++) {
                assertFalse(lines[i].isEmpty(), "no blank line inside a cue");
                assertFalse(lines[i].contains("-->"), "no timing arrow in text: " + lines[i]);
                text.append(i > 2 ? "\n" : "").append(lines[i]);
            }
            cues.add(new Cue(start, end, null, text.toString()));
        }
        return new Parsed(cues);
    }

    private static long millis(Matcher m, int group) {
        return Long.parseLong(m.group(group)) * 3_600_000 + Long.parseLong(m.group(group + 1)) * 60_000
                + Long.parseLong(m.group(group + 2)) * 1000 + Long.parseLong(m.group(group + 3));
    }

    private static String unescape(String s) {
        if (s.contains("&") && !ENTITY.matcher(s).find() && s.indexOf('&') >= 0) {
            fail("unescaped &: " + s);
        }
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    }
}
