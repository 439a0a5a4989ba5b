package dev.parley.session;

/** Exchange headers that the ingest components set and the later steps read. */
public final class ParleyHeaders {

    /** The {@link CallSession} an exchange belongs to. */
    public static final String SESSION = "ParleySession";
    /** The {@link SessionEvent} an exchange started from, kept when the body changes (as in a split). */
    public static final String EVENT = "ParleyEvent";
    /** The type of that event, for filters and choices in routes. */
    public static final String EVENT_TYPE = "ParleyEventType";
    /** The session's target languages (a list), for splitting per language. */
    public static final String TARGETS = "ParleyTargets";
    /** The name of the call channel a frame of audio belongs to. */
    public static final String CHANNEL = "ParleyChannel";
    /**
     * Bytes of audio missing at this point of the call from the {@link #CHANNEL}, or per channel from
     * every channel when there is none (the body is then empty): silence in the archive, a gap the
     * recognizer's times step over.
     */
    public static final String AUDIO_GAP = "ParleyAudioGap";

    private ParleyHeaders() {
    }
}
