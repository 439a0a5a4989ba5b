package dev.parley.realtime;

/**
 * Receives a stream's results. Embedded engines call it on the thread that fed the audio; engines
 * that recognise remotely call it on their own thread, never two calls at once for one stream.
 */
public interface RecognitionListener {

    /** The hypothesis so far for an utterance still being spoken. */
    void partial(int utterance, String text);

    /**
     * The final text of an utterance, with its start and end as offsets in milliseconds from the
     * first sample fed to the stream. Not called for an utterance in which nothing was recognised.
     */
    void complete(int utterance, String text, long startMs, long endMs);

    /**
     * {@link #complete(int, String, long, long)} from an engine that says how sure it is:
     * {@code confidence} is its own measure, with word offsets as {@code startMs}'s.
     */
    default void complete(int utterance, String text, long startMs, long endMs, Confidence confidence) {
        complete(utterance, text, startMs, endMs);
    }

    /**
     * Where each word of the utterance's final text (split at spaces) was spoken, called just before
     * its {@link #complete}. Engines that know no word times never call it.
     */
    default void wordTimes(int utterance, java.util.List<WordTime> words) {
    }

    /**
     * The engine heard speech begin at {@code atMs} (from the first sample fed): results of this
     * utterance follow. Engines without voice activity detection never call it.
     */
    default void speechStarted(int utterance, long atMs) {
    }

    /**
     * The speech of an utterance ended at {@code atMs}; its {@link #complete} or {@link #noResult}
     * follows. Engines without voice activity detection never call it.
     */
    default void speechStopped(int utterance, long atMs) {
    }

    /**
     * An utterance announced by {@link #speechStarted} or a {@link #partial} ended with nothing
     * recognised, or was discarded: no {@link #complete} follows under this number for it.
     */
    default void noResult(int utterance) {
    }

    /**
     * The engine could not do something for this stream (a lost connection, audio dropped, an
     * utterance it failed to transcribe); the stream goes on. {@code code} is one of the codes of
     * the {@code error} event, e.g. {@code recognizer_failed}.
     */
    default void error(String code, String message) {
    }
}
