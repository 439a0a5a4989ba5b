package dev.parley.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.UncheckedIOException;

/** Events as the JSON every sink writes: one shape for clients, archive, webhooks and routes. */
public final class EventJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private EventJson() {
    }

    public static String write(SessionEvent event) {
        try {
            return MAPPER.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            // An envelope holds strings, numbers, lists and maps only: this is a bug, not bad input.
            throw new UncheckedIOException("Cannot write " + event.describe() + " as JSON", e);
        }
    }

    public static JsonNode tree(SessionEvent event) {
        return MAPPER.valueToTree(event);
    }
}
