package dev.parley.security;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Whether a credential may open a WebSocket. A refusal names its category and carries a short
 * message fit for a close frame; neither ever repeats the credential.
 *
 * @param reason  {@link Reason#OK} or why the credential was refused
 * @param message for the client: at most 120 bytes of UTF-8, so it fits a close reason (123 bytes)
 */
public record Verdict(Reason reason, String message) {

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

    public Verdict {
        if (message.getBytes(StandardCharsets.UTF_8).length > 120) {
            throw new IllegalArgumentException("A verdict message must fit a close reason: " + message.length());
        }
    }

    public boolean ok() {
        return reason == Reason.OK;
    }
}
