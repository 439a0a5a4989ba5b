package dev.parley.realtime;

/** Receives a stream's results, on the thread that fed the audio. */
public interface RecognitionListener {

    /** The hypothesis so far for an utterance still being spoken. */
    void partial(int utterance, String text);

    /**
     * The final text of an utterance, with its start and end as offsets in milliseconds from the
     * first sample fed to the stream. Not called for an utterance in which nothing was recognised.
     */
    void complete(int utterance, String text, long startMs, long endMs);
}
