package dev.parley.session;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The transport back to whoever streams a session's audio: a browser, an API client, a telephony platform. */
public interface ClientConnection {

    /**
     * Stops ({@code true}) or restarts ({@code false}) keeping the session's audio, while someone
     * must not be recorded (a card number read out): no audio is archived or recognised meanwhile,
     * and the call's timeline goes on. Completes with true once that holds for all later audio, with
     * false when this connection cannot pause (its protocol has no way to, or it is closing).
     */
    default CompletionStage<Boolean> pause(boolean pause) {
        return CompletableFuture.completedFuture(false);
    }

    /** Whether this connection's protocol has a way to pause its stream, so {@link #pause} can succeed. */
    default boolean canPause() {
        return false;
    }

    /**
     * Parley is shutting down: tell the client, in its protocol's own way where it has one, to connect
     * to another server (AudioHook: {@code reconnect}). The session goes on until its utterance in
     * progress is finished; {@link #close} follows. WebSocket clients learn it from the close code (1012).
     */
    default void draining() {
    }

    /**
     * Parley ends the session (idle timeout, maximum duration, shutdown, capacity), and takes no audio
     * after this returns: a connection that holds audio its client sent (not yet archived, or not yet
     * recognised) hands it to the session now. Called on the thread that ends the session, while the
     * session still takes audio; may wait briefly for the connection's own thread.
     */
    default void ending() {
    }

    /** Delivers one event; a connection that is gone ignores it. Must not block. */
    void send(SessionEvent event);

    /** Ends the connection with a WebSocket close code and a short reason. */
    void close(int code, String reason);
}
