package dev.parley.translate;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A machine translation engine. One instance serves every session; it is chosen by the property
 * {@code parley.translator}. Languages are ISO 639-1 codes ({@code en}, {@code es}).
 */
public interface Translator extends AutoCloseable {

    /** The engine's name as used in configuration, e.g. {@code apertium}. */
    String name();

    /** The pairs this engine can translate: each source language with the targets it reaches. */
    Map<String, Set<String>> pairs();

    /**
     * Translates one utterance. Never blocks the caller: the result completes later, or completes
     * exceptionally with a {@link TranslationException} that says what went wrong.
     */
    CompletableFuture<String> translate(String text, String from, String to);

    @Override
    void close();
}
