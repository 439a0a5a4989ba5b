package dev.parley.realtime;

/**
 * One channel's audio going through a recognizer. Calls come from a single thread, in order.
 * Utterances are numbered from 0 within the stream; partial and final results of one utterance
 * carry the same number.
 */
public interface RecognitionStream extends AutoCloseable {

    /** Feeds mono PCM16 samples at {@link Recognizer#sampleRate()}; may call the listener. */
    void accept(short[] samples, int length);

    /** End of input: delivers the final result of an utterance still open, if any. */
    void flush();

    /** Releases the stream's decoder for reuse. The stream cannot be used afterwards. */
    @Override
    void close();
}
