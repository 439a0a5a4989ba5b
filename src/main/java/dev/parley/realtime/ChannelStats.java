package dev.parley.realtime;

/**
 * What a channel did with its audio: bytes taken into the recognizer, their SHA-256 (so a client
 * can check that what it sent arrived whole and in order), and what was dropped for falling behind.
 */
public record ChannelStats(long bytesProcessed, String sha256, long bytesDropped, long audioMillis) {
}
