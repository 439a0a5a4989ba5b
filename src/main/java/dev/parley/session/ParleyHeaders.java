package dev.parley.session;

/** Exchange headers that the ingest components set and the later steps read. */
public final class ParleyHeaders {

    /** The {@link CallSession} an exchange belongs to. */
    public static final String SESSION = "ParleySession";
    /** The name of the call channel a frame of audio belongs to. */
    public static final String CHANNEL = "ParleyChannel";

    private ParleyHeaders() {
    }
}
