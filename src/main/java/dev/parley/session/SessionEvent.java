package dev.parley.session;

import java.time.Instant;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The one event envelope Parley emits everywhere: to clients, the archive, webhooks and the routes
 * of {@code parley:events}. It is the envelope's fields as a read-only map, in the documented order,
 * so every Camel language reads it as it is ({@code ${body[text]}}, {@code $.text}) and Jackson
 * writes it as the envelope. Fields that do not apply to an event are left out. Type-specific fields
 * (an error's {@code code}, {@code session.created}'s settings) sit beside the envelope's. See
 * docs/events.md.
 */
public final class SessionEvent extends AbstractMap<String, Object> {

    /** Version of the envelope's schema; raised on any incompatible change. */
    public static final int SCHEMA_VERSION = 1;

    /** Every type of event Parley emits. */
    public static final Set<String> TYPES = Set.of("session.created", "session.joined", "transcript.partial",
            "transcript.final", "translation.final", "tts.audio", "dtmf", "audio.paused", "audio.resumed", "warning",
            "error", "session.closed");

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
    private final Map<String, Object> envelope;

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
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("type", type);
        fields.put("v", SCHEMA_VERSION);
        fields.put("event_id", eventId);
        fields.put("session_id", sessionId);
        fields.put("seq", seq);
        fields.put("emitted_at", emittedAt.toString());
        putIfPresent(fields, "item_id", itemId);
        putIfPresent(fields, "channel", channel);
        putIfPresent(fields, "language", language);
        putIfPresent(fields, "text", text);
        putIfPresent(fields, "start_ms", startMs);
        putIfPresent(fields, "end_ms", endMs);
        draft.fields.forEach((name, value) -> putIfPresent(fields, name, value));
        this.envelope = Collections.unmodifiableMap(fields);
    }

    private static void putIfPresent(Map<String, Object> fields, String name, Object value) {
        if (value != null) {
            fields.putIfAbsent(name, value);
        }
    }

    /** Starts an event of the given type; the session stamps the envelope when it emits it. */
    public static Draft of(String type) {
        return new Draft(type);
    }

    public String type() { return type; }
    public int version() { return SCHEMA_VERSION; }
    public String eventId() { return eventId; }
    public String sessionId() { return sessionId; }
    public long seq() { return seq; }
    public String emittedAt() { return emittedAt.toString(); }
    public String itemId() { return itemId; }
    public String channel() { return channel; }
    public String language() { return language; }
    public String text() { return text; }
    public Long startMs() { return startMs; }
    public Long endMs() { return endMs; }

    /** A type-specific field, such as an error's {@code code}. */
    public Object field(String name) { return envelope.get(name); }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return envelope.entrySet();
    }

    /** The envelope's JSON, so that logs and string conversions show what every sink receives. */
    @Override
    public String toString() {
        return EventJson.write(this);
    }

    /** A short name for logs: type, seq, session and item. */
    public String describe() {
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
