package dev.parley.archive;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The captions of one language: {@code captions.<lang>.vtt} (WebVTT) and {@code captions.<lang>.srt}
 * (SubRip), valid at every moment. A cue that comes in start-time order (the usual case) is appended
 * to each file with one write; a cue that starts before the last one (two channels speaking over
 * each other, or translations finishing out of order) is put in its place and both files are
 * rewritten atomically, so cue times stay exact and start times never decrease, as WebVTT requires.
 * Not thread-safe; the caller locks.
 */
final class CaptionTrack {

    static final String VTT_HEADER = "WEBVTT\n\n";

    private record Cue(long startMs, long endMs, String speaker, String text) {
    }

    private final Path vttPath;
    private final Path srtPath;
    private final List<Cue> cues = new ArrayList<>();
    private final boolean fsync;
    private FileChannel vtt;
    private FileChannel srt;
    private long vttBytes;
    private long srtBytes;

    CaptionTrack(Path folder, String language, boolean fsync) throws IOException {
        this.fsync = fsync;
        this.vttPath = SafeNames.inside(folder, folder.resolve("captions." + language + ".vtt"));
        this.srtPath = SafeNames.inside(folder, folder.resolve("captions." + language + ".srt"));
        rewrite();
    }

    /** Adds a cue; {@code speaker} is null for a one-channel session. Returns false if the text is empty. */
    boolean add(long startMs, long endMs, String speaker, String text) throws IOException {
        String clean = clean(text);
        if (clean.isEmpty()) {
            return false;
        }
        long start = Math.max(0, startMs);
        long end = Math.max(start + 1, endMs); // WebVTT: a cue ends after it starts
        Cue cue = new Cue(start, end, speaker, clean);
        if (cues.isEmpty() || start >= cues.get(cues.size() - 1).startMs()) {
            cues.add(cue);
            vttBytes = append(vtt, vttBytes, vttCue(cue));
            srtBytes = append(srt, srtBytes, srtCue(cues.size(), cue));
            if (fsync) {
                vtt.force(false);
                srt.force(false);
            }
        } else {
            int at = cues.size();
            while (at > 0 && cues.get(at - 1).startMs() > start) {
                at--;
            }
            cues.add(at, cue);
            try {
                rewrite();
            } catch (IOException | RuntimeException e) {
                cues.remove(at);
                throw e;
            }
        }
        return true;
    }

    void close() throws IOException {
        try {
            if (fsync) {
                vtt.force(true);
                srt.force(true);
            }
        } finally {
            try {
                vtt.close();
            } finally {
                srt.close();
            }
        }
    }

    private void rewrite() throws IOException {
        StringBuilder v = new StringBuilder(VTT_HEADER);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < cues.size(); i++) {
            v.append(vttCue(cues.get(i)));
            s.append(srtCue(i + 1, cues.get(i)));
        }
        byte[] vBytes = v.toString().getBytes(StandardCharsets.UTF_8);
        byte[] sBytes = s.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(vttPath, vBytes, fsync);
        AtomicFiles.write(srtPath, sBytes, fsync);
        // The rename replaced the files: later cues go to the new ones.
        closeQuietly(vtt);
        closeQuietly(srt);
        vtt = FileChannel.open(vttPath, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        srt = FileChannel.open(srtPath, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        vttBytes = vBytes.length;
        srtBytes = sBytes.length;
    }

    /** One write of the whole cue; a failed write is cut off again so the file stays valid. */
    private static long append(FileChannel ch, long size, String cue) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(cue.getBytes(StandardCharsets.UTF_8));
        try {
            AtomicFiles.writeFully(ch, buf);
        } catch (IOException e) {
            try {
                ch.truncate(size);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return size + buf.limit();
    }

    static String vttCue(Cue cue) {
        String text = escapeVtt(cue.text());
        if (cue.speaker() != null) {
            text = "<v " + escapeVtt(cue.speaker()) + ">" + text;
        }
        return timestamp(cue.startMs(), '.') + " --> " + timestamp(cue.endMs(), '.') + "\n" + text + "\n\n";
    }

    static String srtCue(int number, Cue cue) {
        String text = cue.speaker() != null ? cue.speaker() + ": " + cue.text() : cue.text();
        // "-->" is the timing separator; shortening it repeatedly also catches "--->" and the like.
        while (text.contains("-->")) {
            text = text.replace("-->", "->");
        }
        return number + "\n" + timestamp(cue.startMs(), ',') + " --> " + timestamp(cue.endMs(), ',') + "\n" + text + "\n\n";
    }

    /** {@code HH:MM:SS.mmm} (WebVTT) or {@code HH:MM:SS,mmm} (SubRip). */
    static String timestamp(long ms, char fraction) {
        long h = ms / 3_600_000;
        long m = ms / 60_000 % 60;
        long s = ms / 1000 % 60;
        return String.format("%02d:%02d:%02d%c%03d", h, m, s, fraction, ms % 1000);
    }

    /**
     * One line of text: line breaks and other whitespace become single spaces (a blank line would end
     * the cue), other control characters are dropped.
     */
    static String clean(String text) {
        if (text == null) {
            return "";
        }
        String oneLine = text.replaceAll("[\\s\\u0085\\u2028\\u2029]+", " ");
        StringBuilder out = new StringBuilder(oneLine.length());
        oneLine.codePoints().filter(cp -> !Character.isISOControl(cp)).forEach(out::appendCodePoint);
        return out.toString().strip();
    }

    static String escapeVtt(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // the file was already replaced; nothing was left to write in it
            }
        }
    }
}
