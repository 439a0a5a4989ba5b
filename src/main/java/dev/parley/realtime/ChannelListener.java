package dev.parley.realtime;

/** What a {@link RecognitionChannel} reports to its session, from the channel's worker thread. */
public interface ChannelListener {

    void partial(RecognitionChannel channel, int utterance, String text);

    void complete(RecognitionChannel channel, int utterance, String text, long startMs, long endMs);

    /** Something the sender can fix, such as silent input; the session goes on. */
    void warning(RecognitionChannel channel, String code, String message);

    /** Something went wrong for this channel, such as dropped audio; the session goes on. */
    void error(RecognitionChannel channel, String code, String message);

    /** Every accepted byte has been recognised and the final results delivered. */
    void finished(RecognitionChannel channel);
}
