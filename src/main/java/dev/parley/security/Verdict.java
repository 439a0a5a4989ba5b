package dev.parley.security;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Whether a credential may open a WebSocket. A refusal names its category and carries a short
 * message fit for a close frame; neither ever repeats the credential.
 *
 * @param reason  {@link Reason#OK} or why the credential was refused
 * @param message for the client: at most 120 bytes of UTF-8, so it fits a close reason (123 bytes)
 * @param trusted the credential is an API key (a server-side client), not a token anyone may get
 * @param rehearsal the credential is Parley's own warm-up's ({@link WebSocketAuth#rehearsalCredential})
 */
public record Verdict(Reason reason, String message, boolean trusted, boolean rehearsal) {

    public enum Reason {
        OK, MISSING, MALFORMED, FORGED, EXPIRED, REUSED,
        /** Too many tokens are being redeemed to remember them all; a retry soon succeeds. */
        CAPACITY;

        /** The category as clients and logs see it, e.g. {@code forged}. */
        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final Verdict OK = new Verdict(Reason.OK, "OK");
    /** Accepted, with an API key. */
    public static final Verdict TRUSTED = new Verdict(Reason.OK, "OK", true);
    /** Accepted: Parley's own warm-up rehearsing the path of a session before it reports ready. */
    public static final Verdict REHEARSAL = new Verdict(Reason.OK, "OK", true, true);

    /** Not trusted: a token, no credential where none is required, or a refusal. */
    public Verdict(Reason reason, String message) {
        this(reason, message, false);
    }

    public Verdict(Reason reason, String message, boolean trusted) {
        this(reason, message, trusted, false);
    }

    public Verdict {
        if (message.getBytes(StandardCharsets.UTF_8).length > 120) {
            throw new IllegalArgumentException("A verdict message must fit a close reason: " + message.length());
        }
    }

    public boolean ok() {
        return reason == Reason.OK;
    }
}
