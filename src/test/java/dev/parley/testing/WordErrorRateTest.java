package dev.parley.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class WordErrorRateTest {

    @Test
    void normalisationDropsMarkersFileIdAndAlternatesAndSpellsMrAsMister() {
        assertEquals(List.of("and", "mister", "john", "dashwood"),
                WordErrorRate.normalise("<s> AND Mr john(2) dashwood </s> (sense_and_sensibility_01_austen_64kb-0870)"));
        assertEquals(List.of("he", "was"), WordErrorRate.normalise("he <sil> [NOISE] was"));
    }

    @Test
    void distanceCountsSubstitutionsDeletionsAndInsertions() {
        assertEquals(0, WordErrorRate.distance(List.of("a", "b"), List.of("a", "b")));
        assertEquals(1, WordErrorRate.distance(List.of("a", "b", "c"), List.of("a", "x", "c")));
        assertEquals(1, WordErrorRate.distance(List.of("a", "b", "c"), List.of("a", "c")));
        assertEquals(2, WordErrorRate.distance(List.of("a"), List.of("x", "a", "y")));
        assertEquals(3, WordErrorRate.distance(List.of("a", "b", "c"), List.of()));
    }

    @Test
    void corpusRateIsTotalEditsOverTotalReferenceWords() {
        assertEquals(0.25, WordErrorRate.corpus(List.of("a b", "c d"), List.of("a b", "c x")), 1e-9);
        assertEquals(0.5, WordErrorRate.of("mister smith", "mr jones"), 1e-9);
    }
}
