package dev.parley.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Events as the JSON every sink writes: one shape for clients, archive and webhooks. */
public final class EventJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private EventJson() {
    }

    public static String write(SessionEvent event) throws JsonProcessingException {
        return MAPPER.writeValueAsString(event);
    }
}
