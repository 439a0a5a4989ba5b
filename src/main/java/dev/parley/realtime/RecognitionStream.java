package dev.parley.realtime;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One channel's audio going through a recognizer. Calls come from a single thread, in order.
 * Utterances are numbered from 0 within the stream; partial and final results of one utterance
 * carry the same number.
 */
public interface RecognitionStream extends AutoCloseable {

    /** Feeds mono PCM16 samples at {@link Recognizer#sampleRate(int)}; may call the listener. */
    void accept(short[] samples, int length);

    /** End of input: delivers the final result of an utterance still open, if any. */
    void flush();

    /**
     * End of input, for engines whose results arrive after {@link #accept} returns (a remote
     * service): completes once the results of every sample fed have been delivered, or the engine
     * gave up on them. The stream is not used afterwards except to be closed. By default
     * {@link #flush()}, done when it returns.
     */
    default CompletionStage<Void> flushAsync() {
        flush();
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Ends the current utterance now, as if the speaker had paused (manual turn detection): its
     * final, if any, is delivered, and the stream goes on. Completes once that final has been
     * delivered. By default nothing happens.
     */
    default CompletionStage<Void> commit() {
        return CompletableFuture.completedFuture(null);
    }

    /** Discards the utterance in progress, without a final; the stream goes on. By default nothing happens. */
    default void clear() {
    }

    /**
     * No audio has arrived for {@code millis} (wall clock): an engine that takes its resources on
     * demand may deliver the utterance in progress and give them back. By default nothing happens.
     */
    default void idle(long millis) {
    }

    /** Releases the stream's decoder for reuse. The stream cannot be used afterwards. */
    @Override
    void close();
}
