package dev.parley.realtime.pocketsphinx;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared cepstral-mean prior: one voice per stream, robust to one odd stream, kept across restarts. */
class CmnPriorTest {

    private static float[] mean(float c0, float c1) {
        float[] m = new float[13];
        m[0] = c0;
        m[1] = c1;
        return m;
    }

    private static void speak(CmnPrior prior, float[] mean, int frames) {
        prior.learn(prior.voice(), mean, frames);
    }

    @Test
    void itIsAGuessUntilThreeStreamsHaveSpoken() {
        CmnPrior prior = new CmnPrior(mean(41, -5), List.of());
        speak(prior, mean(55, 10), 2000);
        speak(prior, mean(56, 11), 50); // under a second of speech: not a voice yet
        assertFalse(prior.start().informed());
        assertEquals(41, prior.start().mean()[0]);
        speak(prior, mean(56, 11), 300);
        speak(prior, mean(54, 9), 300);
        assertTrue(prior.start().informed());
        assertEquals(55, prior.start().mean()[0]);
    }

    @Test
    void oneStreamOfOddAudioHardlyMovesIt() {
        CmnPrior prior = new CmnPrior(mean(41, -5), List.of());
        for (int i = 0; i < 5; i++) {
            speak(prior, mean(54 + i, 10), 300);
        }
        float before = prior.start().mean()[0];
        // 25 s of loud band-passed audio: ten times the speech of each other stream, 90 away.
        CmnPrior.Voice odd = prior.voice();
        for (int i = 0; i < 10; i++) {
            prior.learn(odd, mean(130, -40), 250);
        }
        float[] after = prior.start().mean();
        assertTrue(Math.abs(after[0] - before) <= 1, "C0 " + before + " -> " + after[0]);
        assertTrue(Math.abs(after[1] - 10) <= 0.01, "C1 " + after[1]);
    }

    @Test
    void itFollowsTheMixOfTheLastStreams() {
        CmnPrior prior = new CmnPrior(mean(41, -5), List.of());
        for (int i = 0; i < CmnPrior.MEMBERS; i++) {
            speak(prior, mean(55, 10), 300);
        }
        for (int i = 0; i < CmnPrior.MEMBERS / 2 + 1; i++) {
            speak(prior, mean(70, 0), 300);
        }
        assertEquals(70, prior.start().mean()[0], "most of the last streams sound like this now");
    }

    @Test
    void aRestartStartsFromWhatTheLastRunLearnt() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "state");
        CmnPrior learnt = new CmnPrior(mean(41, -5), List.of());
        for (int i = 0; i < 4; i++) {
            speak(learnt, mean(50 + i, 10), 300 + i);
        }
        new CmnPriorFile(dir).save(Map.of(8000, learnt));

        Map<Integer, List<CmnPrior.Voice>> saved = new CmnPriorFile(dir).load();
        CmnPrior restarted = new CmnPrior(mean(41, -5), saved.get(8000));
        assertTrue(restarted.start().informed());
        assertArrayEquals(learnt.start().mean(), restarted.start().mean(), 1e-4f);
        assertEquals(4, restarted.members().size());
    }

    @Test
    void aRecognizerKeepsItsPriorsInItsStateFolder() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "state");
        Files.writeString(dir.resolve(CmnPriorFile.NAME), "{ not json");
        try (PocketSphinxRecognizer r = new PocketSphinxRecognizer(
                PocketSphinxSettings.builder().poolSize(1).warmDecoders(0).build(), dir)) {
            // An unreadable file is ignored (and replaced): the recognizer starts from the guess.
            Recording.decode(r, dev.parley.testing.LibriVox.get("0880").samples(), 16000, 40);
        }
        Map<Integer, List<CmnPrior.Voice>> saved = new CmnPriorFile(dir).load();
        assertEquals(1, saved.get(16000).size(), "saved when the recognizer closed: " + saved);
    }
}
