package dev.parley.tts;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A text-to-speech engine, chosen by the property {@code parley.tts}. Languages are ISO 639-1 codes.
 */
public interface Synthesizer extends AutoCloseable {

    /** The engine's name as used in configuration, e.g. {@code espeak}. */
    String name();

    /** Languages this engine has a voice for. */
    Set<String> languages();

    /**
     * Speaks one utterance as a WAV file. Never blocks the caller: the result completes later, or
     * completes exceptionally with a {@link SynthesisException} that says what went wrong.
     */
    CompletableFuture<Speech> speak(String text, String language);

    @Override
    void close();
}
