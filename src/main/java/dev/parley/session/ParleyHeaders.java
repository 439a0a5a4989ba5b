package dev.parley.session;

/**
 * The exchange headers Parley sets, which routes may read. All are strings (or a number), safe to
 * leave through any sink: an HTTP request's headers, a Kafka record's. Parley's own objects travel
 * in exchange properties ({@link ParleyProperties}), never in headers.
 */
public final class ParleyHeaders {

    /** Events: the event's type ({@code transcript.final}, ...), for filters and choices in routes. */
    public static final String EVENT_TYPE = "ParleyEventType";
    /** Events and audio: the session's id. */
    public static final String SESSION_ID = "ParleySessionId";
    /** Events: the session's target languages for the event's channel, comma-separated ({@code es,ca}); empty for none. */
    public static final String TARGETS = "ParleyTargets";
    /** Audio, and events that have one: the name of the call channel ({@code speaker}, {@code customer}, {@code agent}). */
    public static final String CHANNEL = "ParleyChannel";
    /**
     * Audio: bytes of audio missing at this point of the call from the {@link #CHANNEL}, or per channel
     * from every channel when there is none (the body is then empty): silence in the archive, a gap
     * the recognizer's times step over.
     */
    public static final String AUDIO_GAP = "ParleyAudioGap";
    /**
     * Audio: which step the frame is for, when it is not for both: {@code recognizer} (heard now, archived
     * once the client can no longer withdraw it) or {@code archive} (heard already). A client of OpenAI's
     * protocol may clear audio it sent: that audio reaches the archive as silence, after the recognizer.
     */
    public static final String AUDIO_FOR = "ParleyAudioFor";
    /** {@link #AUDIO_FOR}: for the recognizer only. */
    public static final String FOR_RECOGNIZER = "recognizer";
    /** {@link #AUDIO_FOR}: for the archive only. */
    public static final String FOR_ARCHIVE = "archive";

    private ParleyHeaders() {
    }
}
