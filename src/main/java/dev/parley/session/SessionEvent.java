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
            "error", "session.closed", "session.erased");

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
    private final Map<String, Object> fields;
    private final String originalText;

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
        this.fields = Map.copyOf(draft.fields);
        this.originalText = draft.original;
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

    /**
     * An event about a session that has ended, which no session emits ({@code session.erased}):
     * stamped here with a new id, {@code seq} and the time now.
     */
    public static SessionEvent about(String sessionId, long seq, Draft draft) {
        return new SessionEvent(draft, Ids.event(), sessionId, seq, Instant.now());
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

    /**
     * This event with the text its speaker said, where redaction changed it and the settings let the
     * speaker's own client see it ({@code parley.redaction.speaker-sees-original}); otherwise itself.
     * Never archived nor published: only the speaker's client gets it.
     */
    public SessionEvent unredacted() {
        if (originalText == null) {
            return this;
        }
        Draft draft = new Draft(type).itemId(itemId).channel(channel).language(language).text(originalText);
        draft.startMs = startMs;
        draft.endMs = endMs;
        fields.forEach((name, value) -> {
            if (!name.equals("redactions")) {
                draft.field(name, value);
            }
        });
        return new SessionEvent(draft, eventId, sessionId, seq, emittedAt);
    }

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
        private String original;

        private Draft(String type) {
            this.type = type;
        }

        public String type() { return type; }
        public Draft itemId(String itemId) { this.itemId = itemId; return this; }
        public String itemId() { return itemId; }
        public Draft channel(String channel) { this.channel = channel; return this; }
        public Draft language(String language) { this.language = language; return this; }
        public Draft text(String text) { this.text = text; return this; }
        public String text() { return text; }
        /** The text before redaction, for the speaker's own client only (see {@link SessionEvent#unredacted()}). */
        public Draft original(String original) { this.original = original; return this; }

        public Draft span(long startMs, long endMs) { this.startMs = startMs; this.endMs = endMs; return this; }
        public Long startMs() { return startMs; }
        public Long endMs() { return endMs; }
        public Draft field(String name, Object value) { fields.put(name, value); return this; }
    }
}
