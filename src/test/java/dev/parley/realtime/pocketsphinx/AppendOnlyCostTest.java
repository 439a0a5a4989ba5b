package dev.parley.realtime.pocketsphinx;

import dev.parley.realtime.AppendOnlyText;
import dev.parley.testing.LibriVox;
import dev.parley.testing.WordErrorRate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What making PocketSphinx's results append-only ({@link AppendOnlyText}, for OpenAI's deltas) costs:
 * every LibriVox recording decoded once, in 40 ms chunks as a stream receives them, its partials and
 * finals replayed both ways: today's finals, and the finals made consistent with the stable prefixes
 * given as deltas. Checks the invariant (each final begins with everything given) and that the cost
 * stays within a generous bound; prints the figures docs/openai-realtime.md reports.
 */
class AppendOnlyCostTest {

    private static PocketSphinxRecognizer recognizer;

    @BeforeAll
    static void start() {
        recognizer = new PocketSphinxRecognizer(PocketSphinxSettings.builder().poolSize(1).warmDecoders(1).build());
    }

    @AfterAll
    static void stop() {
        recognizer.close();
    }

    @Test
    void appendOnlyFinalsBeginWithWhatWasGivenAndCostLittleWer() throws Exception {
        List<LibriVox.Recording> recordings = LibriVox.recordings();
        List<Recording> decoded = new ArrayList<>();
        List<String> said = new ArrayList<>();
        List<String> today = new ArrayList<>();
        long audioMs = 0;
        for (LibriVox.Recording r : recordings) {
            Recording rec = Recording.decode(recognizer, r.samples(), 40);
            decoded.add(rec);
            said.add(r.transcript());
            today.add(rec.text());
            audioMs += rec.audioMs;
        }
        double werToday = WordErrorRate.corpus(said, today);
        System.out.printf("PocketSphinx (en-us, default settings), %d LibriVox recordings, %.1f s, fed in 40 ms chunks: "
                + "corpus WER of today's finals %.3f%n", said.size(), audioMs / 1000.0, werToday);
        double chosen = -1;
        for (int[] variant : new int[][] {{2, 0}, {2, 1}, {3, 0}, {3, 1}, {4, 1}}) {
            int partials = 0;
            int gives = 0;
            int givenWords = 0;
            int changed = 0;
            int finals = 0;
            List<String> appendOnly = new ArrayList<>();
            for (Recording rec : decoded) {
                AppendOnlyText text = new AppendOnlyText(variant[0], variant[1]);
                List<String> mapped = new ArrayList<>();
                for (Recording.Event e : rec.events) {
                    if (!e.isFinal()) {
                        partials++;
                        gives += text.partial(e.utterance(), e.text()) == null ? 0 : 1;
                        continue;
                    }
                    String given = text.given(e.utterance());
                    String fin = text.complete(e.utterance(), e.text());
                    assertTrue(given.isEmpty() || fin.equals(given) || fin.startsWith(given + " "),
                            "the final '" + fin + "' begins with what was given: '" + given + "'");
                    givenWords += given.isEmpty() ? 0 : given.split(" ").length;
                    finals++;
                    changed += fin.equals(e.text()) ? 0 : 1;
                    mapped.add(fin);
                }
                appendOnly.add(String.join(" ", mapped));
            }
            double wer = WordErrorRate.corpus(said, appendOnly);
            boolean isDefault = variant[0] == 3 && variant[1] == 1;
            chosen = isDefault ? wer : chosen;
            System.out.printf("  %d partials agreeing, last %d word(s) held back%s: WER %.3f (%+.3f); %d of %d finals "
                            + "changed; %d partials gave %d deltas (%.2f a second of audio), %d words before their final%n",
                    variant[0], variant[1], isDefault ? " (the default)" : "", wer, wer - werToday, changed, finals,
                    partials, gives, gives * 1000.0 / audioMs, givenWords);
        }
        assertTrue(chosen <= werToday + 0.15, "the default costs " + (chosen - werToday) + " of WER");
    }
}
