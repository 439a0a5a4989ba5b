package dev.parley.realtime;

import java.util.List;

/**
 * How sure the engine is of a final, in its own measure: {@code utterance} from 0 to 1, and each
 * recognised word with its span and its own confidence where the engine times words (empty where it
 * does not). Engines that say nothing of their confidence give none, never a made-up one.
 */
public record Confidence(double utterance, List<Word> words) {

    /** A recognised word: offsets in milliseconds as the final's, and the engine's confidence in it (0 to 1). */
    public record Word(String text, long startMs, long endMs, double confidence) {
    }

    public Confidence {
        if (!(utterance >= 0 && utterance <= 1)) {
            throw new IllegalArgumentException("confidence must lie between 0 and 1, not " + utterance);
        }
        words = List.copyOf(words);
    }
}
