package dev.parley.ingest.openai;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.security.SecureRandom;

/** The GA Realtime transcription protocol's server events, shaped as the service sends them. */
final class ServerEvents {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final char[] ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private ServerEvents() {
    }

    static String id(String prefix) {
        char[] out = new char[21];
        for (int i = 0; i < out.length; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return prefix + new String(out);
    }

    static ObjectNode event(String type) {
        ObjectNode e = NODES.objectNode();
        e.put("type", type);
        e.put("event_id", id("event_"));
        return e;
    }

    static ObjectNode session(String type, ObjectNode session) {
        ObjectNode e = event(type);
        e.set("session", session);
        return e;
    }

    /** An {@code error} event; {@code clientEventId} names the client event it is about, if any. */
    static ObjectNode error(String type, String code, String message, String param, String clientEventId) {
        ObjectNode e = event("error");
        ObjectNode error = e.putObject("error");
        error.put("type", type);
        if (code == null) {
            error.putNull("code");
        } else {
            error.put("code", code);
        }
        error.put("message", message);
        if (param == null) {
            error.putNull("param");
        } else {
            error.put("param", param);
        }
        if (clientEventId == null) {
            error.putNull("event_id");
        } else {
            error.put("event_id", clientEventId);
        }
        return e;
    }

    static ObjectNode speechStarted(String itemId, long atMs) {
        ObjectNode e = event("input_audio_buffer.speech_started");
        e.put("audio_start_ms", atMs);
        e.put("item_id", itemId);
        return e;
    }

    static ObjectNode speechStopped(String itemId, long atMs) {
        ObjectNode e = event("input_audio_buffer.speech_stopped");
        e.put("audio_end_ms", atMs);
        e.put("item_id", itemId);
        return e;
    }

    static ObjectNode committed(String itemId, String previousItemId) {
        ObjectNode e = event("input_audio_buffer.committed");
        putNullable(e, "previous_item_id", previousItemId);
        e.put("item_id", itemId);
        return e;
    }

    static ObjectNode cleared() {
        return event("input_audio_buffer.cleared");
    }

    /** {@code conversation.item.added}: the user's audio message, its transcript to come in its own events. */
    static ObjectNode itemAdded(String itemId, String previousItemId) {
        return item("conversation.item.added", itemId, previousItemId);
    }

    /** {@code conversation.item.done}: the committed audio message is final (its transcript follows). */
    static ObjectNode itemDone(String itemId, String previousItemId) {
        return item("conversation.item.done", itemId, previousItemId);
    }

    private static ObjectNode item(String type, String itemId, String previousItemId) {
        ObjectNode e = event(type);
        putNullable(e, "previous_item_id", previousItemId);
        ObjectNode item = e.putObject("item");
        item.put("id", itemId);
        item.put("object", "realtime.item");
        item.put("type", "message");
        item.put("status", "completed");
        item.put("role", "user");
        item.putArray("content").addObject().put("type", "input_audio");
        return e;
    }

    static ObjectNode delta(String itemId, String delta) {
        ObjectNode e = event("conversation.item.input_audio_transcription.delta");
        e.put("item_id", itemId);
        e.put("content_index", 0);
        e.put("delta", delta);
        return e;
    }

    /** {@code ...transcription.completed}, with usage as the seconds of audio transcribed. */
    static ObjectNode completed(String itemId, String transcript, double seconds) {
        ObjectNode e = event("conversation.item.input_audio_transcription.completed");
        e.put("item_id", itemId);
        e.put("content_index", 0);
        e.put("transcript", transcript);
        ObjectNode usage = e.putObject("usage");
        usage.put("type", "duration");
        usage.put("seconds", Math.round(seconds * 1000) / 1000.0);
        return e;
    }

    private static void putNullable(ObjectNode node, String field, String value) {
        if (value == null) {
            node.putNull(field);
        } else {
            node.put(field, value);
        }
    }
}
