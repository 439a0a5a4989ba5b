package dev.parley.ingest;

import dev.parley.session.ClientConnection;
import dev.parley.session.EventJson;
import dev.parley.session.SessionEvent;
import io.vertx.core.http.ServerWebSocket;

/** A session's events as JSON text frames on the client's WebSocket. */
final class WebSocketClient implements ClientConnection {

    private final ServerWebSocket ws;

    WebSocketClient(ServerWebSocket ws) {
        this.ws = ws;
    }

    @Override
    public void send(SessionEvent event) {
        if (ws.isClosed()) {
            return;
        }
        ws.writeTextMessage(EventJson.write(event));
    }

    @Override
    public void close(int code, String reason) {
        if (!ws.isClosed()) {
            ws.close((short) code, reason);
        }
    }
}
