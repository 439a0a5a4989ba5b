package dev.parley.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real WebSocket client of {@code /v1/listen} (the JDK's): sends audio frames, records every
 * event it receives with its arrival time, and how the server closed the connection.
 */
public final class ListenClient implements WebSocket.Listener, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** An event as received, with the client's clock when it arrived. */
    public record Received(JsonNode json, long atNanos) {
        public String type() { return json.path("type").asText(); }
    }

    private final List<Received> events = new CopyOnWriteArrayList<>();
    private final CompletableFuture<int[]> closed = new CompletableFuture<>();
    private final StringBuilder partialText = new StringBuilder();
    private final MessageDigest sent;
    private volatile String closeReason;
    private long bytesSent;
    private WebSocket ws;

    private ListenClient() throws Exception {
        sent = MessageDigest.getInstance("SHA-256");
    }

    public static ListenClient connect(URI uri) throws Exception {
        return connect(uri, Map.of());
    }

    /** Connects with extra upgrade headers, as a server-side client sending {@code Authorization} would. */
    public static ListenClient connect(URI uri, Map<String, String> headers) throws Exception {
        return connect(HttpClient.newHttpClient(), uri, headers);
    }

    /** Connects through this HTTP client: one that trusts the server's certificate, for {@code wss://}. */
    public static ListenClient connect(HttpClient http, URI uri, Map<String, String> headers) throws Exception {
        ListenClient client = new ListenClient();
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        headers.forEach(builder::header);
        client.ws = builder.buildAsync(uri, client).get(10, TimeUnit.SECONDS);
        return client;
    }

    /** Sends one binary frame and waits until it is handed to the socket. */
    public void sendAudio(byte[] frame) throws Exception {
        sent.update(frame);
        bytesSent += frame.length;
        ws.sendBinary(ByteBuffer.wrap(frame), true).get(10, TimeUnit.SECONDS);
    }

    /** Streams audio in frames of the given length, paced at real time when asked. */
    public void stream(byte[] audio, int frameBytes, int bytesPerSecond, boolean realTime) throws Exception {
        long start = System.nanoTime();
        for (int off = 0; off < audio.length; off += frameBytes) {
            int len = Math.min(frameBytes, audio.length - off);
            byte[] frame = new byte[len];
            System.arraycopy(audio, off, frame, 0, len);
            sendAudio(frame);
            if (realTime) {
                long due = start + (long) ((off + len) * 1e9 / bytesPerSecond);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
        }
    }

    public void sendText(String text) throws Exception {
        ws.sendText(text, true).get(10, TimeUnit.SECONDS);
    }

    public void endInput() throws Exception {
        sendText("{\"type\":\"input_audio.end\"}");
    }

    /** Closes the connection from the client's side without ending the input first. */
    public void abort() throws Exception {
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
    }

    /** SHA-256 of every byte sent as audio, in order. */
    public String sentDigest() throws Exception {
        return HexFormat.of().formatHex(((MessageDigest) sent.clone()).digest());
    }

    public long bytesSent() { return bytesSent; }

    /** Waits for the server to close the connection; returns its close code. */
    public int awaitClose(Duration timeout) throws Exception {
        return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS)[0];
    }

    public String closeReason() { return closeReason; }

    private String closeDescription() {
        try {
            return closed.getNow(new int[] {-1})[0] + " " + closeReason;
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }

    /** Waits for an event that matches. */
    public Received await(Predicate<Received> match, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean wasClosed = closed.isDone();
            for (Received r : events) {
                if (match.test(r)) {
                    return r;
                }
            }
            if (wasClosed) {
                throw new AssertionError("The server closed the connection (" + closeDescription() + ") before a matching"
                        + " event; received: " + types());
            }
            Thread.sleep(20);
        }
        throw new AssertionError("No matching event within " + timeout + "; received: " + types()
                + "; errors and warnings: " + events.stream().map(Received::json)
                .filter(e -> e.path("type").asText().matches("error|warning")).toList());
    }

    public Received await(String type, Duration timeout) throws Exception {
        return await(r -> r.type().equals(type), timeout);
    }

    public List<Received> events() { return List.copyOf(events); }

    public List<JsonNode> events(String type) {
        return events.stream().filter(r -> r.type().equals(type)).map(Received::json).toList();
    }

    public List<String> types() {
        List<String> types = new ArrayList<>();
        events.forEach(r -> types.add(r.type()));
        return types;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partialText.append(data);
        if (last) {
            try {
                events.add(new Received(JSON.readTree(partialText.toString()), System.nanoTime()));
            } catch (Exception e) {
                closed.completeExceptionally(new AssertionError("Server sent text that is not JSON: " + partialText));
            }
            partialText.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeReason = reason;
        closed.complete(new int[] {statusCode});
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
