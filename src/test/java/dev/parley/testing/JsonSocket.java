package dev.parley.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A JDK WebSocket client that keeps every JSON text message the server sends, in order, and how
 * the server closed: the plumbing the tests' protocol clients share.
 */
public class JsonSocket implements WebSocket.Listener, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();
    private volatile String closeReason;
    private WebSocket ws;

    /** Connects this listener, with these upgrade headers. */
    protected final void open(URI uri, Map<String, String> headers) throws Exception {
        open(HttpClient.newHttpClient(), uri, headers);
    }

    /** Connects through this HTTP client: one that trusts the server's certificate, for {@code wss://}. */
    protected final void open(HttpClient http, URI uri, Map<String, String> headers) throws Exception {
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        headers.forEach(b::header);
        ws = b.buildAsync(uri, this).get(10, TimeUnit.SECONDS);
    }

    public void sendText(String message) throws Exception {
        ws.sendText(message, true).get(10, TimeUnit.SECONDS);
    }

    public void sendBinary(byte[] data) throws Exception {
        ws.sendBinary(ByteBuffer.wrap(data), true).get(10, TimeUnit.SECONDS);
    }

    /** Every JSON message received so far. */
    public List<JsonNode> received() {
        return List.copyOf(received);
    }

    public int awaitClose(Duration timeout) throws Exception {
        return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The reason the server gave when it closed the socket. */
    public String closeReason() {
        return closeReason;
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            try {
                received.add(JSON.readTree(text.toString()));
            } catch (Exception e) {
                closed.completeExceptionally(new AssertionError("Server sent text that is not JSON: " + text));
            }
            text.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeReason = reason;
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.completeExceptionally(error);
    }

    @Override
    public void close() {
        if (!closed.isDone()) {
            ws.abort();
        }
    }
}
