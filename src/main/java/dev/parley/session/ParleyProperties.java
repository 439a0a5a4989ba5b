package dev.parley.session;

/**
 * Exchange properties that carry Parley's own objects between the steps of a route. They never
 * leave Parley: sinks such as http or kafka do not send properties.
 */
public final class ParleyProperties {

    /** The {@link CallSession} an exchange belongs to; Parley's steps ({@code archive:}, {@code session:emit}, ...) need it. */
    public static final String SESSION = "ParleySession";
    /** The {@link SessionEvent} an exchange started from, kept when the body changes (in a split, say). */
    public static final String EVENT = "ParleyEvent";

    private ParleyProperties() {
    }
}
