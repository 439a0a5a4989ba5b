package dev.parley.realtime;

/** Where one recognised word was spoken, in milliseconds from the first sample of its stream (or channel). */
public record WordTime(String word, long startMs, long endMs) {
}
