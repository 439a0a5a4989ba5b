package dev.parley.session;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one event envelope Parley emits everywhere: to clients, the archive, webhooks. Fields that do
 * not apply to an event are left out of its JSON. Type-specific fields (an error's {@code code},
 * {@code session.created}'s settings) sit beside the envelope's. See docs/events.md.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"type", "v", "event_id", "session_id", "seq", "emitted_at", "item_id", "channel",
        "language", "text", "start_ms", "end_ms"})
public final class SessionEvent {

    /** Version of the envelope's schema; raised on any incompatible change. */
    public static final int SCHEMA_VERSION = 1;

    private final String type;
    private final String eventId;
    private final String sessionId;
    private final long seq;
    private final Instant emittedAt;
    private final String itemId;
    private final String channel;
    private final String language;
    private final String text;
    private final Long startMs;
    private final Long endMs;
    private final Map<String, Object> fields;

    /** An emitted event. Sessions stamp their own drafts; tools and tests may stamp one directly. */
    public SessionEvent(Draft draft, String eventId, String sessionId, long seq, Instant emittedAt) {
        this.type = draft.type;
        this.eventId = eventId;
        this.sessionId = sessionId;
        this.seq = seq;
        this.emittedAt = emittedAt;
        this.itemId = draft.itemId;
        this.channel = draft.channel;
        this.language = draft.language;
        this.text = draft.text;
        this.startMs = draft.startMs;
        this.endMs = draft.endMs;
        this.fields = Collections.unmodifiableMap(new LinkedHashMap<>(draft.fields));
    }

    /** Starts an event of the given type; the session stamps the envelope when it emits it. */
    public static Draft of(String type) {
        return new Draft(type);
    }

    @JsonProperty("type") public String type() { return type; }
    @JsonProperty("v") public int version() { return SCHEMA_VERSION; }
    @JsonProperty("event_id") public String eventId() { return eventId; }
    @JsonProperty("session_id") public String sessionId() { return sessionId; }
    @JsonProperty("seq") public long seq() { return seq; }
    @JsonProperty("emitted_at") public String emittedAt() { return emittedAt.toString(); }
    @JsonProperty("item_id") public String itemId() { return itemId; }
    @JsonProperty("channel") public String channel() { return channel; }
    @JsonProperty("language") public String language() { return language; }
    @JsonProperty("text") public String text() { return text; }
    @JsonProperty("start_ms") public Long startMs() { return startMs; }
    @JsonProperty("end_ms") public Long endMs() { return endMs; }

    @JsonAnyGetter
    public Map<String, Object> fields() { return fields; }

    /** A type-specific field, such as an error's {@code code}. */
    public Object field(String name) { return fields.get(name); }

    @Override
    public String toString() {
        return type + "#" + seq + "@" + sessionId + (itemId != null ? "/" + itemId : "");
    }

    /** An event not yet emitted: what happened, without the envelope's identity and order. */
    public static final class Draft {
        private final String type;
        private String itemId;
        private String channel;
        private String language;
        private String text;
        private Long startMs;
        private Long endMs;
        private final Map<String, Object> fields = new LinkedHashMap<>();

        private Draft(String type) {
            this.type = type;
        }

        public String type() { return type; }
        public Draft itemId(String itemId) { this.itemId = itemId; return this; }
        public Draft channel(String channel) { this.channel = channel; return this; }
        public Draft language(String language) { this.language = language; return this; }
        public Draft text(String text) { this.text = text; return this; }
        public Draft span(long startMs, long endMs) { this.startMs = startMs; this.endMs = endMs; return this; }
        public Draft field(String name, Object value) { fields.put(name, value); return this; }
    }
}
