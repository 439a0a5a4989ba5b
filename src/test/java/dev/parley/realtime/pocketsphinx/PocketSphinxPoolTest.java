package dev.parley.realtime.pocketsphinx;

import dev.parley.testing.LibriVox;
import dev.parley.testing.WordErrorRate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.realtime.CapacityException;
import dev.parley.realtime.RecognitionStream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The decoder pool, on real native decoders. */
class PocketSphinxPoolTest {

    private static void awaitReady(PocketSphinxRecognizer r) throws InterruptedException {
        long t0 = System.nanoTime();
        while (!r.ready() && r.warmupFailure() == null && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20)) {
            Thread.sleep(10);
        }
        assertTrue(r.ready(), "warm-up: " + r.warmupFailure());
    }

    @Test
    void poolWarmsBuildsLazilyToItsSizeRefusesAtOnceWhenFullAndReusesReleasedDecoders() throws Exception {
        PocketSphinxSettings settings = PocketSphinxSettings.builder().poolSize(2).warmDecoders(1).build();
        long t0 = System.nanoTime();
        try (PocketSphinxRecognizer r = new PocketSphinxRecognizer(settings)) {
            assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(500), "warm-up runs in the background");
            awaitReady(r);
            System.out.printf("first warm decoder ready after %d ms%n", (System.nanoTime() - t0) / 1_000_000);
            assertEquals(1, r.decodersBuilt());
            assertEquals(2, r.capacity());

            Recording first = new Recording();
            RecognitionStream s1 = r.open("en", 16000, first);
            assertEquals(1, r.decodersBuilt(), "the warm decoder was used");
            assertFalse(r.ready(), "nothing idle: the next open would build");

            long b0 = System.nanoTime();
            RecognitionStream s2 = r.open("en-US", 16000, new Recording());
            System.out.printf("lazy decoder built in open() in %d ms%n", (System.nanoTime() - b0) / 1_000_000);
            assertEquals(2, r.decodersBuilt(), "built on demand up to pool-size");
            assertEquals(2, r.inUse());

            long c0 = System.nanoTime();
            CapacityException full = assertThrows(CapacityException.class, () -> r.open("en", 16000, new Recording()));
            long refusedMs = (System.nanoTime() - c0) / 1_000_000;
            assertTrue(refusedMs < 1000, "refused in " + refusedMs + " ms");
            assertTrue(full.getMessage().contains("2 of 2")
                    && full.getMessage().contains("parley.recognizer.pocketsphinx.pool-size"), full.getMessage());
            assertEquals(2, r.decodersBuilt(), "no decoder built for a refused open");
            assertEquals(2, r.inUse());

            // Leave an utterance open mid-sentence, then give the decoder back.
            LibriVox.Recording long0870 = LibriVox.get("0870");
            first.feed(s1, long0870.samples(), 16000 * 3, 40);
            assertTrue(first.finals().isEmpty());
            s1.close();
            s1.close(); // idempotent
            assertThrows(IllegalStateException.class, () -> s1.accept(new short[160], 160));
            assertEquals(1, r.inUse());
            assertTrue(r.ready());

            // The next user gets that decoder, clean: its text has nothing of the abandoned sentence.
            LibriVox.Recording u = LibriVox.get("0880");
            Recording next = Recording.decode(r, u.samples(), 40);
            assertEquals(2, r.decodersBuilt(), "the released decoder was reused");
            assertEquals(1, next.finals().size(), next.toString());
            assertEquals(0, next.finals().get(0).utterance());
            assertTrue(WordErrorRate.of(u.transcript(), next.text()) <= 0.5, next.text());
            assertFalse(next.text().contains("john") || next.text().contains("leisure"), next.text());
            assertEquals(1, r.inUse());

            // close(): idle decoders are freed, opens are refused; the open stream frees its own later.
            r.close();
            assertFalse(r.ready());
            assertThrows(IllegalStateException.class, () -> r.open("en", 16000, new Recording()));
            s2.close();
            assertEquals(0, r.inUse());
        }
    }

    @Test
    void withoutWarmDecodersTheFirstOpenBuildsOne() throws Exception {
        try (PocketSphinxRecognizer r = new PocketSphinxRecognizer(
                PocketSphinxSettings.builder().poolSize(1).warmDecoders(0).build())) {
            assertFalse(r.ready());
            assertEquals(0, r.decodersBuilt());
            long t0 = System.nanoTime();
            try (RecognitionStream s = r.open("en", 16000, new Recording())) {
                System.out.printf("cold open built a decoder in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
                assertEquals(1, r.decodersBuilt());
                assertThrows(CapacityException.class, () -> r.open("en", 16000, new Recording()));
            }
            assertTrue(r.ready());
        }
    }

    @Test
    void unknownExtraArgumentIsRejectedAtConstructionNamingTheProperty() {
        PocketSphinxSettings bad = PocketSphinxSettings.builder().extraArg("-no_such_option", "1").warmDecoders(0).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PocketSphinxRecognizer(bad));
        assertTrue(e.getMessage().contains("parley.recognizer.pocketsphinx.extra-args"), e.getMessage());
    }
}
