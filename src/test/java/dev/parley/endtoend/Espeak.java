package dev.parley.endtoend;

import dev.parley.tts.WavInfo;

import java.nio.file.Files;
import java.nio.file.Path;

/** eSpeak NG's own rendering of a text, written by its command line: the reference for Parley's speech. */
final class Espeak {

    private Espeak() {
    }

    static long durationMillis(String text, String language) throws Exception {
        Path wav = Files.createTempFile("espeak", ".wav");
        try {
            Process p = new ProcessBuilder("espeak-ng", "-v", language, "-w", wav.toString(), text).start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("espeak-ng failed for " + language);
            }
            return WavInfo.parse(Files.readAllBytes(wav)).durationMillis();
        } finally {
            Files.deleteIfExists(wav);
        }
    }
}
