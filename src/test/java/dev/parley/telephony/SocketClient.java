package dev.parley.telephony;

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
import java.util.function.Predicate;

/** A JDK WebSocket client that plays a telephony platform: sends JSON and binary, keeps every JSON message it receives. */
final class SocketClient implements WebSocket.Listener, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private volatile String closeReason;
    private final StringBuilder text = new StringBuilder();
    private WebSocket ws;

    static SocketClient connect(URI uri, Map<String, String> headers) throws Exception {
        SocketClient c = new SocketClient();
        WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        headers.forEach(b::header);
        c.ws = b.buildAsync(uri, c).get(10, TimeUnit.SECONDS);
        return c;
    }

    void send(Object json) throws Exception {
        ws.sendText(json instanceof String s ? s : JSON.writeValueAsString(json), true).get(10, TimeUnit.SECONDS);
    }

    void sendBinary(byte[] data) throws Exception {
        ws.sendBinary(ByteBuffer.wrap(data), true).get(10, TimeUnit.SECONDS);
    }

    List<JsonNode> received() {
        return List.copyOf(received);
    }

    JsonNode await(Predicate<JsonNode> match, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode m : received) {
                if (match.test(m)) {
                    return m;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no matching message within " + timeout + "; received " + received.size() + ": "
                + received.stream().limit(20).toList());
    }

    int awaitClose(Duration timeout) throws Exception {
        return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The reason the server gave when it closed the socket. */
    String closeReason() {
        return closeReason;
    }

    boolean isClosed() {
        return closed.isDone();
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            try {
                received.add(JSON.readTree(text.toString()));
            } catch (Exception e) {
                closed.completeExceptionally(e);
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
