package dev.parley.ingest.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.parley.testing.JsonSocket;

import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A plain JDK WebSocket client of the GA Realtime transcription protocol, sharing no code with
 * Parley's recognizer nor with the SDK: it writes the client events by hand and keeps every server
 * event as JSON.
 */
final class RealtimeClient extends JsonSocket {

    static final ObjectMapper JSON = new ObjectMapper();

    static RealtimeClient connect(URI uri, String apiKey) throws Exception {
        RealtimeClient client = new RealtimeClient();
        client.open(uri, apiKey == null ? Map.of() : Map.of("Authorization", "Bearer " + apiKey));
        return client;
    }

    void send(String json) throws Exception {
        sendText(json);
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
        return received();
    }

    List<JsonNode> events(String type) {
        return received().stream().filter(e -> e.path("type").asText().equals(type)).toList();
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
                + events().stream().map(e -> e.path("type").asText()).toList() + "; errors: " + events("error"));
    }

    JsonNode await(String type, Duration timeout) throws Exception {
        return await(e -> e.path("type").asText().equals(type), timeout);
    }

    int size() {
        return received().size();
    }
}
