package dev.parley.ingest.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A plain JDK WebSocket client of the GA Realtime transcription protocol, sharing no code with
 * Parley's recognizer nor with the SDK: it writes the client events by hand and keeps every server
 * event as JSON.
 */
final class RealtimeClient implements WebSocket.Listener, AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    private final List<JsonNode> events = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket ws;

    static RealtimeClient connect(URI uri, String apiKey) throws Exception {
        RealtimeClient client = new RealtimeClient();
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        if (apiKey != null) {
            builder.header("Authorization", "Bearer " + apiKey);
        }
        client.ws = builder.buildAsync(uri, client).get(10, TimeUnit.SECONDS);
        return client;
    }

    void send(String json) throws Exception {
        ws.sendText(json, true).get(10, TimeUnit.SECONDS);
    }

    void send(ObjectNode event) throws Exception {
        send(event.toString());
    }

    static ObjectNode event(String type) {
        ObjectNode e = JSON.createObjectNode();
        e.put("type", type);
        return e;
    }

    void append(byte[] audio) throws Exception {
        ObjectNode e = event("input_audio_buffer.append");
        e.put("audio", Base64.getEncoder().encodeToString(audio));
        send(e);
    }

    /** Appends audio in chunks of {@code chunkBytes}, as fast as the socket takes them. */
    void stream(byte[] audio, int chunkBytes) throws Exception {
        for (int off = 0; off < audio.length; off += chunkBytes) {
            append(java.util.Arrays.copyOfRange(audio, off, Math.min(audio.length, off + chunkBytes)));
        }
    }

    List<JsonNode> events() {
        return List.copyOf(events);
    }

    List<JsonNode> events(String type) {
        return events.stream().filter(e -> e.path("type").asText().equals(type)).toList();
    }

    JsonNode await(Predicate<JsonNode> match, Duration timeout) throws Exception {
        return await(0, match, timeout);
    }

    /** The first matching event at or after index {@code from}. */
    JsonNode await(int from, Predicate<JsonNode> match, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<JsonNode> now = events();
            for (int i = from; i < now.size(); i++) {
                if (match.test(now.get(i))) {
                    return now.get(i);
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("No matching event within " + timeout + "; received: "
                + events.stream().map(e -> e.path("type").asText()).toList() + "; errors: " + events("error"));
    }

    JsonNode await(String type, Duration timeout) throws Exception {
        return await(e -> e.path("type").asText().equals(type), timeout);
    }

    int size() {
        return events.size();
    }

    int awaitClose(Duration timeout) throws Exception {
        return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            try {
                events.add(JSON.readTree(partial.toString()));
            } catch (Exception e) {
                closed.completeExceptionally(new AssertionError("Server sent text that is not JSON: " + partial));
            }
            partial.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
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
