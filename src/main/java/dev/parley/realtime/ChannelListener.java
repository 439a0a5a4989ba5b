package dev.parley.realtime;

/**
 * What a {@link RecognitionChannel} reports to its session, from the channel's worker thread (or,
 * for results of an engine that recognises remotely, from that engine's thread).
 */
public interface ChannelListener {

    void partial(RecognitionChannel channel, int utterance, String text);

    void complete(RecognitionChannel channel, int utterance, String text, long startMs, long endMs);

    /** A final with the engine's own confidence ({@code null} when it gives none), word offsets in the channel's audio. */
    default void complete(RecognitionChannel channel, int utterance, String text, long startMs, long endMs, Confidence confidence) {
        complete(channel, utterance, text, startMs, endMs);
    }

    /** Where each word of the coming final was spoken, in the channel's time (see {@link RecognitionListener#wordTimes}). */
    default void wordTimes(RecognitionChannel channel, int utterance, java.util.List<WordTime> words) {
    }

    /** Something the sender can fix, such as silent input; the session goes on. */
    void warning(RecognitionChannel channel, String code, String message);

    /** Something went wrong for this channel, such as dropped audio; the session goes on. */
    void error(RecognitionChannel channel, String code, String message);

    /** Every accepted byte has been recognised and the final results delivered. */
    void finished(RecognitionChannel channel);

    /** The recognizer heard speech begin, at {@code atMs} in the channel's audio. */
    default void speechStarted(RecognitionChannel channel, int utterance, long atMs) {
    }

    /** The speech of an utterance ended at {@code atMs}; its final (or {@link #noResult}) follows. */
    default void speechStopped(RecognitionChannel channel, int utterance, long atMs) {
    }

    /** An announced utterance ended with nothing recognised, or was discarded. */
    default void noResult(RecognitionChannel channel, int utterance) {
    }

    /** A {@link RecognitionChannel#commit()} took effect: the results of the audio before it were delivered. */
    default void committed(RecognitionChannel channel) {
    }

    /** A {@link RecognitionChannel#clear()} took effect: the utterance in progress was discarded. */
    default void cleared(RecognitionChannel channel) {
    }
}
