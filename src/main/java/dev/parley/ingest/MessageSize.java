package dev.parley.ingest;

import io.vertx.core.http.WebSocketFrame;

/**
 * The size of the WebSocket message being received, its fragments together. A message is as large
 * as all its frames, however it is split: without this count a text frame without FIN followed by
 * continuation frames grows without end.
 */
public final class MessageSize {

    private final long max;
    private long size;

    public MessageSize(long max) {
        this.max = max;
    }

    /** Counts a frame; false once its message is over the limit. Control frames do not count. */
    public boolean add(WebSocketFrame frame) {
        if (!frame.isText() && !frame.isBinary() && !frame.isContinuation()) {
            return true;
        }
        size = (frame.isContinuation() ? size : 0) + frame.binaryData().length();
        return size <= max;
    }

    /** The close reason for a message over the limit. */
    public String reason() {
        return "message over " + max + " bytes (parley.websocket.max-message-bytes)";
    }
}
