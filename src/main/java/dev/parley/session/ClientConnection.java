package dev.parley.session;

/** The transport back to whoever streams a session's audio: a browser, an API client, a telephony platform. */
public interface ClientConnection {

    /** Delivers one event; a connection that is gone ignores it. Must not block. */
    void send(SessionEvent event);

    /** Ends the connection with a WebSocket close code and a short reason. */
    void close(int code, String reason);
}
