package dev.parley.realtime.pocketsphinx;

import dev.parley.testing.LibriVox;
import dev.parley.testing.WordErrorRate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.realtime.RecognitionStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real decoding of the LibriVox test utterances (pocketsphinx-testdata) with the Debian en-us model,
 * streamed in 40 ms chunks as a call channel would.
 */
class PocketSphinxRecognizerTest {

    private static PocketSphinxRecognizer recognizer;
    private static Map<String, Recording> perFile;

    @BeforeAll
    static void start() throws Exception {
        recognizer = new PocketSphinxRecognizer(PocketSphinxSettings.builder().poolSize(2).warmDecoders(2).build());
        long t0 = System.nanoTime();
        while (recognizer.idle() < 2 && recognizer.warmupFailure() == null
                && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20)) {
            Thread.sleep(10);
        }
        System.out.printf("2 warm decoders built in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertTrue(recognizer.ready(), "warm decoders: " + recognizer.warmupFailure());
    }

    @AfterAll
    static void stop() {
        if (recognizer != null) {
            recognizer.close();
        }
    }

    /** Each file streamed on its own stream; decoded once and shared by the tests that read it. */
    private static synchronized Map<String, Recording> perFile() throws Exception {
        if (perFile == null) {
            Map<String, Recording> m = new LinkedHashMap<>();
            for (LibriVox.Recording u : LibriVox.recordings()) {
                long t0 = System.nanoTime();
                Recording rec = Recording.decode(recognizer, u.samples(), 40);
                System.out.printf("%s: %d ms of audio decoded in %d ms: %s%n", u.id(), u.durationMs(),
                        (System.nanoTime() - t0) / 1_000_000, rec.text());
                m.put(u.id(), rec);
            }
            perFile = m;
        }
        return perFile;
    }

    private static double corpusWer(Map<String, Recording> recordings) {
        List<String> refs = new ArrayList<>();
        List<String> hyps = new ArrayList<>();
        for (LibriVox.Recording u : LibriVox.recordings()) {
            refs.add(u.transcript());
            hyps.add(recordings.get(u.id()).text());
        }
        return WordErrorRate.corpus(refs, hyps);
    }

    @Test
    void describesItselfAsSixteenKilohertzEnglish() {
        assertEquals("pocketsphinx", recognizer.name());
        assertEquals(java.util.Set.of("en"), recognizer.languages());
        assertEquals(16000, recognizer.sampleRate());
        assertEquals(2, recognizer.capacity());
        assertThrows(IllegalArgumentException.class, () -> recognizer.open("de", 16000, new Recording()));
    }

    @Test
    void streamedFinalsOfTheFiveLibriVoxFilesHaveCorpusWerAtMost40Percent() throws Exception {
        double wer = corpusWer(perFile());
        System.out.printf("Corpus WER of streaming finals, default settings: %.3f%n", wer);
        assertTrue(wer <= 0.40, "corpus WER " + wer);
    }

    @Test
    void eachFinalCarriesItsWordsPosteriorsAndTheirMeanAsItsConfidence() throws Exception {
        java.util.Set<Double> seen = new java.util.HashSet<>();
        for (Recording rec : perFile().values()) {
            assertEquals(rec.finals().size(), rec.confidences.size());
            for (int i = 0; i < rec.finals().size(); i++) {
                Recording.Event fin = rec.finals().get(i);
                dev.parley.realtime.Confidence c = rec.confidences.get(i);
                assertTrue(c != null && c.utterance() > 0 && c.utterance() <= 1, "a posterior for " + fin + ": " + c);
                assertEquals(fin.text(), String.join(" ", c.words().stream().map(dev.parley.realtime.Confidence.Word::text).toList()));
                assertEquals(c.words().stream().mapToDouble(dev.parley.realtime.Confidence.Word::confidence).average().orElseThrow(),
                        c.utterance(), 1e-9);
                long previous = fin.startMs();
                for (dev.parley.realtime.Confidence.Word w : c.words()) {
                    assertTrue(w.confidence() >= 0 && w.confidence() <= 1, w.toString());
                    assertTrue(w.startMs() >= previous - 30 && w.endMs() > w.startMs() && w.endMs() <= fin.endMs(),
                            "words in order within their final " + fin + ": " + c.words());
                    previous = w.endMs();
                }
                assertEquals(fin.startMs(), c.words().get(0).startMs(), 1, "the final starts with its first word");
                seen.add(c.utterance());
            }
        }
        assertTrue(seen.size() > 1, "the recognizer is surer of some utterances than of others: " + seen);
    }

    @Test
    void fastSearchSettingsStillRecogniseTheCorpus() throws Exception {
        PocketSphinxSettings fast = PocketSphinxSettings.builder().fwdflat(false).bestpath(false).maxhmmpf(3000)
                .plWindow(10).poolSize(1).warmDecoders(0).build();
        Map<String, Recording> m = new LinkedHashMap<>();
        long decodeMs = 0;
        try (PocketSphinxRecognizer r = new PocketSphinxRecognizer(fast)) {
            for (LibriVox.Recording u : LibriVox.recordings()) {
                long t0 = System.nanoTime();
                m.put(u.id(), Recording.decode(r, u.samples(), 40));
                decodeMs += (System.nanoTime() - t0) / 1_000_000;
            }
            assertEquals(1, r.decodersBuilt());
        }
        assertTrue(m.values().stream().flatMap(r -> r.confidences.stream()).allMatch(java.util.Objects::isNull),
                "without the lattice pass PocketSphinx has no posteriors, and none is made up");
        double wer = corpusWer(m);
        System.out.printf("Corpus WER of streaming finals, -fwdflat no -bestpath no -maxhmmpf 3000 -pl_window 10:"
                + " %.3f (%d ms incl. one build)%n", wer, decodeMs);
        assertTrue(wer <= 0.45, "corpus WER " + wer);
    }

    @Test
    void partialsPrecedeTheFinalAtLeastOncePerSecondOfSpeechWithTheSameUtteranceNumber() throws Exception {
        int checked = 0;
        for (Map.Entry<String, Recording> e : perFile().entrySet()) {
            Recording rec = e.getValue();
            for (Recording.Event fin : rec.finals()) {
                long duration = fin.endMs() - fin.startMs();
                if (duration < 2000) {
                    continue;
                }
                checked++;
                List<Recording.Event> partials = rec.partials(fin.utterance());
                String where = e.getKey() + " utterance " + fin.utterance() + ":\n" + rec;
                assertTrue(partials.size() >= duration / 1000, partials.size() + " partials for " + duration + " ms, " + where);
                int finalIndex = rec.events.indexOf(fin);
                for (Recording.Event p : partials) {
                    assertTrue(rec.events.indexOf(p) < finalIndex, "partial after final: " + where);
                    assertFalse(p.text().isBlank(), where);
                }
                // At least one per second: no gap over 1 s (+ one 40 ms chunk of position granularity).
                long prev = fin.startMs();
                for (Recording.Event p : partials) {
                    assertTrue(p.atMs() - prev <= 1040, "gap " + prev + ".." + p.atMs() + " ms in " + where);
                    prev = p.atMs();
                }
                assertTrue(fin.endMs() - prev <= 1040, "no partial in the last second before " + fin.endMs() + ", " + where);
            }
        }
        assertEquals(5, checked, "every LibriVox file is one utterance of 3 s or more");
    }

    /** The five files with a second of low noise before, between and after them. */
    private static final class Session {
        final short[] audio;
        final long[] fromMs = new long[5];
        final long[] toMs = new long[5];

        Session() {
            Random rnd = new Random(42);
            List<LibriVox.Recording> all = LibriVox.recordings();
            int total = 16000 * (all.size() + 1) + all.stream().mapToInt(u -> u.samples().length).sum();
            audio = new short[total];
            int pos = 0;
            for (int i = 0; i <= all.size(); i++) {
                for (int j = 0; j < 16000; j++) {
                    audio[pos++] = (short) Math.round(rnd.nextGaussian() * 30);
                }
                if (i < all.size()) {
                    short[] s = all.get(i).samples();
                    fromMs[i] = pos / 16;
                    System.arraycopy(s, 0, audio, pos, s.length);
                    pos += s.length;
                    toMs[i] = pos / 16;
                }
            }
        }
    }

    @Test
    void endpointingSplitsASessionIntoUtterancesWithIncreasingOffsetsInsideTheAudio() throws Exception {
        Session session = new Session();
        Recording rec = Recording.decode(recognizer, session.audio, 40);
        long audioMs = session.audio.length / 16;
        List<Recording.Event> finals = rec.finals();
        System.out.println("Session of " + audioMs + " ms:\n" + rec.finals().stream().map(Object::toString)
                .reduce((a, b) -> a + "\n" + b).orElse("(none)"));
        assertEquals(5, finals.size(), "one final per file, split by the 1 s pauses:\n" + rec);
        long prevEnd = 0;
        for (int i = 0; i < finals.size(); i++) {
            Recording.Event f = finals.get(i);
            assertEquals(i, f.utterance(), "utterances are numbered from 0 without gaps");
            assertTrue(f.startMs() >= prevEnd && f.startMs() < f.endMs() && f.endMs() <= audioMs,
                    "offsets " + f + " after previous end " + prevEnd + ", audio " + audioMs);
            // The files start with ~0.2 s of room tone; speech lies inside the file's span.
            assertTrue(f.startMs() >= session.fromMs[i] - 100 && f.startMs() <= session.fromMs[i] + 500,
                    "start " + f.startMs() + " for a file spanning " + session.fromMs[i] + ".." + session.toMs[i]);
            assertTrue(f.endMs() >= session.toMs[i] - 600 && f.endMs() <= session.toMs[i] + 400,
                    "end " + f.endMs() + " for a file spanning " + session.fromMs[i] + ".." + session.toMs[i]);
            assertTrue(f.atMs() > f.endMs(), "a final is only known after its end");
            prevEnd = f.endMs();
            assertTrue(WordErrorRate.of(LibriVox.recordings().get(i).transcript(), f.text()) <= 0.5, f.text());
        }
        // The endpoint (500 ms of silence) came before the end of the audio, not from flush().
        assertTrue(finals.get(3).atMs() < session.fromMs[4], "finals are delivered as utterances end");
    }

    @Test
    void flushOnAudioCutMidUtteranceDeliversItsFinal() throws Exception {
        LibriVox.Recording u = LibriVox.get("0870");
        int cut = 16000 * 3; // 3.0 s into a 7.1 s sentence, mid-word
        Recording rec = new Recording();
        try (RecognitionStream stream = recognizer.open("en", 16000, rec)) {
            rec.feed(stream, u.samples(), cut, 40);
            assertTrue(rec.finals().isEmpty(), "no endpoint yet: " + rec);
            assertFalse(rec.partials(0).isEmpty(), "partials while speaking");
            stream.flush();
            assertEquals(1, rec.finals().size(), rec.toString());
            stream.flush(); // nothing left: no second final
            assertEquals(1, rec.finals().size(), rec.toString());
        }
        Recording.Event f = rec.finals().get(0);
        assertEquals(0, f.utterance());
        assertTrue(f.startMs() >= 0 && f.startMs() < f.endMs() && f.endMs() <= 3000, f.toString());
        assertTrue(f.text().contains("john"), "first words of 'and mister john dashwood had then leisure': " + f);
    }

    @Test
    void flushWithoutSpeechDeliversNothingAndTheStreamGoesOn() throws Exception {
        Recording rec = new Recording();
        short[] quiet = new short[16000];
        Random rnd = new Random(7);
        for (int i = 0; i < quiet.length; i++) {
            quiet[i] = (short) Math.round(rnd.nextGaussian() * 30);
        }
        LibriVox.Recording u = LibriVox.get("0880");
        try (RecognitionStream stream = recognizer.open("en", 16000, rec)) {
            rec.feed(stream, quiet, quiet.length, 40);
            stream.flush();
            assertTrue(rec.finals().isEmpty(), rec.toString());
            rec.feed(stream, u.samples(), u.samples().length, 40);
            stream.flush();
        }
        assertEquals(1, rec.finals().size(), rec.toString());
        assertTrue(WordErrorRate.of(u.transcript(), rec.text()) <= 0.5, rec.text());
    }

    @Test
    void anyChunkSizeGivesTheSameResult() throws Exception {
        LibriVox.Recording u = LibriVox.get("0880");
        Recording reference = new Recording();
        Recording rec = new Recording();
        Random rnd = new Random(3);
        // Opened together, the two streams start from the same cepstral-mean prior.
        try (RecognitionStream refStream = recognizer.open("en", 16000, reference);
                RecognitionStream stream = recognizer.open("en", 16000, rec)) {
            reference.feed(refStream, u.samples(), u.samples().length, 40);
            refStream.flush();
            short[] s = u.samples();
            int off = 0;
            while (off < s.length) {
                int n = Math.min(s.length - off, rnd.nextInt(2) == 0 ? 1 + rnd.nextInt(7) : 1 + rnd.nextInt(5000));
                short[] chunk = new short[n + 3]; // length below the array's: only `length` samples count
                System.arraycopy(s, off, chunk, 0, n);
                stream.accept(chunk, n);
                off += n;
            }
            stream.flush();
        }
        assertEquals(reference.finals().size(), rec.finals().size(), rec.toString());
        assertEquals(reference.text(), rec.text());
        assertEquals(reference.finals().get(0).startMs(), rec.finals().get(0).startMs(), 20);
        assertEquals(reference.finals().get(0).endMs(), rec.finals().get(0).endMs(), 20);
    }

    @Test
    void twoStreamsDecodeTwoFilesInParallelThreadsAndEachGetsItsOwnText() throws Exception {
        LibriVox.Recording a = LibriVox.get("0870");
        LibriVox.Recording b = LibriVox.get("0920");
        perFile(); // decode the shared recordings first so nothing else uses the pool meanwhile
        int builtBefore = recognizer.decodersBuilt();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Callable<Recording> ta = () -> Recording.decode(recognizer, a.samples(), 40);
            Callable<Recording> tb = () -> Recording.decode(recognizer, b.samples(), 40);
            // Open both streams before either finishes: run the two decodes concurrently.
            Future<Recording> fa = pool.submit(ta);
            Future<Recording> fb = pool.submit(tb);
            Recording ra = fa.get(60, TimeUnit.SECONDS);
            Recording rb = fb.get(60, TimeUnit.SECONDS);
            double aOwn = WordErrorRate.of(a.transcript(), ra.text());
            double bOwn = WordErrorRate.of(b.transcript(), rb.text());
            System.out.printf("parallel: %.2f %s | %.2f %s%n", aOwn, ra.text(), bOwn, rb.text());
            assertTrue(aOwn <= 0.5 && aOwn < WordErrorRate.of(b.transcript(), ra.text()), ra.text());
            assertTrue(bOwn <= 0.5 && bOwn < WordErrorRate.of(a.transcript(), rb.text()), rb.text());
            assertEquals(builtBefore, recognizer.decodersBuilt(), "both streams used the warm decoders");
            assertEquals(0, recognizer.inUse());
        } finally {
            pool.shutdownNow();
        }
    }
}
