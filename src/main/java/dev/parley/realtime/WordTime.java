package dev.parley.realtime;

/** Where one recognised word was spoken, in milliseconds from the first sample of its stream (or channel). */
public record WordTime(String word, long startMs, long endMs) {

    /** The same word, its times moved by {@code offsetMs}. */
    public WordTime shifted(long offsetMs) {
        return new WordTime(word, startMs + offsetMs, endMs + offsetMs);
    }
}
