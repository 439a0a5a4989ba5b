package dev.parley.realtime.pocketsphinx;

import dev.parley.realtime.RecognitionListener;
import dev.parley.realtime.RecognitionStream;
import dev.parley.testing.LibriVox;
import dev.parley.testing.WordErrorRate;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Streams opened on demand, on real native decoders: silence holds no decoder, speech takes one, a
 * pause gives it back, and the stream's times and utterance numbers go on across decoders; streams
 * with a token cannot take the decoders reserved for trusted ones, and are told {@code capacity}.
 */
class PocketSphinxOnDemandTest {

    /** Finals and errors as heard. */
    static final class Heard implements RecognitionListener {
        record Final(int utterance, String text, long startMs, long endMs) {}

        final List<Final> finals = new ArrayList<>();
        final List<String> errors = new ArrayList<>();

        @Override
        public void partial(int utterance, String text) {
        }

        @Override
        public void complete(int utterance, String text, long startMs, long endMs) {
            finals.add(new Final(utterance, text, startMs, endMs));
        }

        @Override
        public void error(String code, String message) {
            errors.add(code + ": " + message);
        }
    }

    private static void feed(RecognitionStream stream, short[] samples) {
        short[] block = new short[640]; // 40 ms
        for (int off = 0; off < samples.length; off += block.length) {
            int n = Math.min(block.length, samples.length - off);
            System.arraycopy(samples, off, block, 0, n);
            stream.accept(block, n);
        }
    }

    private static short[] silence(int ms) {
        return new short[16 * ms];
    }

    private static PocketSphinxRecognizer ready(PocketSphinxSettings settings) throws InterruptedException {
        PocketSphinxRecognizer r = new PocketSphinxRecognizer(settings);
        long t0 = System.nanoTime();
        while (r.idle() < settings.warmDecoders() && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30)) {
            Thread.sleep(10);
        }
        assertEquals(settings.warmDecoders(), r.idle(), "warm-up: " + r.warmupFailure());
        return r;
    }

    @Test
    void aStreamHoldsADecoderOnlyWhileThereIsSpeechAndKeepsItsTimelineAcrossDecoders() throws Exception {
        LibriVox.Recording first = LibriVox.get("0880");
        LibriVox.Recording second = LibriVox.get("0930");
        try (PocketSphinxRecognizer r = ready(PocketSphinxSettings.builder().poolSize(2).warmDecoders(2).build())) {
            Heard heard = new Heard();
            try (RecognitionStream s = r.openOnDemand("en", 16000, false, heard)) {
                feed(s, silence(3000));
                assertEquals(0, r.inUse(), "silence takes no decoder");
                short[] speech = first.samples();
                feed(s, java.util.Arrays.copyOf(speech, speech.length / 2));
                assertEquals(1, r.inUse(), "speech takes one");
                feed(s, java.util.Arrays.copyOfRange(speech, speech.length / 2, speech.length));
                feed(s, silence(3000));
                assertEquals(0, r.inUse(), "a pause of release-after-ms gives it back");
                assertEquals(1, heard.finals.size(), heard.finals.toString());

                long secondAt = 3000 + first.durationMs() + 3000;
                feed(s, second.samples());
                assertEquals(1, r.inUse());
                feed(s, silence(3000));
                assertEquals(0, r.inUse());
                assertEquals(2, heard.finals.size(), heard.finals.toString());
                Heard.Final a = heard.finals.get(0);
                Heard.Final b = heard.finals.get(1);
                System.out.printf("on demand: %s%n           %s%n", a, b);
                assertEquals(0, a.utterance());
                assertEquals(1, b.utterance(), "numbers go on across decoders");
                assertTrue(a.startMs() >= 3000 - 100 && a.endMs() <= 3000 + first.durationMs() + 200, a.toString());
                assertTrue(b.startMs() >= secondAt - 100 && b.endMs() <= secondAt + second.durationMs() + 200,
                        "times are the stream's, whichever decoder: " + b + ", said from " + secondAt + " ms");
                assertTrue(WordErrorRate.of(first.transcript(), a.text()) <= 0.5, a.text());
                assertTrue(WordErrorRate.of(second.transcript(), b.text()) <= 0.5, b.text());
                assertTrue(heard.errors.isEmpty(), heard.errors.toString());
            }
            assertEquals(0, r.inUse());
        }
    }

    @Test
    void streamsWithATokenCannotTakeTheReservedDecodersAndAreToldCapacity() throws Exception {
        short[] speech = LibriVox.get("0870").samples();
        short[] oneSecond = java.util.Arrays.copyOf(speech, 16000);
        PocketSphinxSettings settings = PocketSphinxSettings.builder().poolSize(2).warmDecoders(2).reservedForTrusted(1).build();
        try (PocketSphinxRecognizer r = ready(settings)) {
            Heard first = new Heard();
            Heard second = new Heard();
            Heard trusted = new Heard();
            try (RecognitionStream a = r.openOnDemand("en", 16000, false, first);
                 RecognitionStream b = r.openOnDemand("en", 16000, false, second);
                 RecognitionStream t = r.openOnDemand("en", 16000, true, trusted)) {
                feed(a, oneSecond);
                assertEquals(1, r.inUse());
                feed(b, oneSecond);
                assertEquals(1, r.inUse(), "the other decoder is reserved");
                assertEquals(1, second.errors.size(), second.errors.toString());
                assertTrue(second.errors.get(0).startsWith("capacity: ")
                        && second.errors.get(0).contains("parley.recognizer.pocketsphinx.reserved-for-trusted"), second.errors.toString());
                feed(b, oneSecond); // refused: the rest is ignored, once
                assertEquals(1, second.errors.size());

                feed(t, java.util.Arrays.copyOfRange(speech, 16000, speech.length));
                assertEquals(2, r.inUse(), "a trusted stream takes the reserved decoder");
                assertTrue(trusted.errors.isEmpty(), trusted.errors.toString());

                // No audio for a while: the utterance in progress is delivered and the decoder given back.
                int before = first.finals.size();
                a.idle(settings.releaseAfterMs());
                assertEquals(1, r.inUse());
                assertEquals(before + 1, first.finals.size(), "the utterance in progress ends: " + first.finals);
            }
            assertEquals(0, r.inUse());
        }
    }
}
