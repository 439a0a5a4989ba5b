package dev.parley.tts;

/** Synthesised speech: a complete WAV file (mono PCM16), its sample rate and duration. */
public record Speech(byte[] wav, int sampleRate, long durationMillis) {
}
