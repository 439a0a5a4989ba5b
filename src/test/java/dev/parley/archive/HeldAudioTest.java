package dev.parley.archive;

import dev.parley.privacy.RedactionSettings;
import dev.parley.testing.WavFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With audio redaction, audio reaches {@code audio.wav} only once its utterance is judged, with the
 * redacted words' span silenced (or a tone) and every other sample as received.
 */
class HeldAudioTest {

    @TempDir
    Path dir;

    private static byte[] speechLike(int millis) {
        byte[] pcm = new byte[16 * millis * 2];
        for (int i = 0; i < pcm.length / 2; i++) {
            short s = (short) (8000 * Math.sin(i * 0.07) + 3000 * Math.sin(i * 0.31));
            pcm[2 * i] = (byte) s;
            pcm[2 * i + 1] = (byte) (s >> 8);
        }
        return pcm;
    }

    private static short sample(byte[] pcm, int i) {
        return (short) ((pcm[2 * i] & 0xff) | pcm[2 * i + 1] << 8);
    }

    private SessionArchive archive(String id) {
        return new TranscriptArchive(dir).open(id, Instant.parse("2026-12-06T10:00:00Z"), List.of("speaker"), 16000, "pcm16");
    }

    @Test
    void nothingOfAnUtteranceIsOnDiskBeforeItsFinalAndItsRedactedWordsAreSilentAfter() throws Exception {
        SessionArchive files = archive("ses_held");
        HeldAudio held = new HeldAudio(files, RedactionSettings.AudioMode.SILENCE, 120_000);
        byte[] sent = speechLike(3000);
        held.audio("speaker", sent);
        assertEquals(0, WavFile.read(files.folder().resolve("audio.wav")).pcm().length,
                "audio of an utterance not yet judged is on disk");

        held.judged("speaker", 2000, List.of(new long[] {500, 1200}));
        byte[] first = WavFile.read(files.folder().resolve("audio.wav")).pcm();
        assertEquals(2000 * 32, first.length, "the judged utterance, up to its end, and nothing after");

        held.flush();
        files.close(null);
        byte[] kept = WavFile.read(files.folder().resolve("audio.wav")).pcm();
        assertEquals(sent.length, kept.length);
        for (int i = 0; i < kept.length / 2; i++) {
            boolean redacted = i >= 500 * 16 && i < 1200 * 16;
            assertEquals(redacted ? 0 : sample(sent, i), sample(kept, i), "sample " + i);
        }
    }

    @Test
    void aToneCanStandWhereTheWordsWere() throws Exception {
        SessionArchive files = archive("ses_tone");
        HeldAudio held = new HeldAudio(files, RedactionSettings.AudioMode.TONE, 120_000);
        byte[] sent = speechLike(1000);
        held.audio("speaker", sent);
        held.judged("speaker", 1000, List.of(new long[] {200, 700}));
        held.flush();
        files.close(null);
        byte[] kept = WavFile.read(files.folder().resolve("audio.wav")).pcm();
        double sum = 0;
        for (int i = 200 * 16; i < 700 * 16; i++) {
            sum += (double) sample(kept, i) * sample(kept, i);
        }
        double rms = Math.sqrt(sum / (500 * 16));
        assertTrue(rms > 2000 && rms < 2600, "a -20 dBFS tone has an RMS of about 2317, got " + rms);
        assertEquals(sample(sent, 100), sample(kept, 100));
        assertEquals(sample(sent, 800 * 16), sample(kept, 800 * 16));
    }

    @Test
    void audioHeldPastTheBoundWithNoFinalGoesToDiskAsSilenceNeverAsItWas() throws Exception {
        SessionArchive files = archive("ses_bound");
        HeldAudio held = new HeldAudio(files, RedactionSettings.AudioMode.SILENCE, 1000);
        byte[] sent = speechLike(1500);
        held.audio("speaker", java.util.Arrays.copyOf(sent, 1000 * 32));
        assertEquals(0, WavFile.read(files.folder().resolve("audio.wav")).pcm().length, "within the bound: all held");
        held.audio("speaker", java.util.Arrays.copyOfRange(sent, 1000 * 32, sent.length));
        byte[] early = WavFile.read(files.folder().resolve("audio.wav")).pcm();
        assertEquals(600 * 32, early.length, "the excess and a tenth of the bound more are written");
        for (int i = 0; i < early.length / 2; i++) {
            assertEquals(0, sample(early, i), "unjudged audio on disk at sample " + i);
        }
        assertEquals(600, held.silencedMillis());

        held.judged("speaker", 1500, List.of(new long[] {1200, 1300}));
        files.close(null);
        byte[] kept = WavFile.read(files.folder().resolve("audio.wav")).pcm();
        assertEquals(sent.length, kept.length, "the call's timeline is whole");
        for (int i = 600 * 16; i < kept.length / 2; i++) {
            boolean redacted = i >= 1200 * 16 && i < 1300 * 16;
            assertEquals(redacted ? 0 : sample(sent, i), sample(kept, i), "sample " + i);
        }
    }

    @Test
    void theBoundIsASettingOfTwoMinutesByDefaultAndAnImpossibleOneStopsStartUp() {
        assertEquals(120_000, RedactionSettings.fromProperties(java.util.Map.of("parley.redaction.enabled", "true")::get)
                .maxHeldAudioMillis());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () ->
                RedactionSettings.fromProperties(java.util.Map.of("parley.redaction.enabled", "true",
                        "parley.redaction.max-held-audio-s", "5")::get));
        assertTrue(e.getMessage().contains("parley.redaction.max-held-audio-s=5"), e.getMessage());
    }
}
