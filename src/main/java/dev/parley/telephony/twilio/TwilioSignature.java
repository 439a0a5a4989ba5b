package dev.parley.telephony.twilio;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Collection;

/**
 * Twilio's request signature: {@code X-Twilio-Signature} is the base64 HMAC-SHA1, keyed with the
 * account's auth token, of the full URL Twilio requested (a WebSocket upgrade has no POST parameters
 * to append).
 */
public final class TwilioSignature {

    private TwilioSignature() {
    }

    public static String sign(String authToken, String url) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(authToken.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(url.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 is part of every Java runtime", e);
        }
    }

    /** Whether the signature matches one of the URLs the request may have been sent to (constant time). */
    public static boolean verify(String authToken, String signature, Collection<String> candidateUrls) {
        if (signature == null || signature.isBlank()) {
            return false;
        }
        byte[] given = signature.trim().getBytes(StandardCharsets.US_ASCII);
        boolean ok = false;
        for (String url : candidateUrls) {
            ok |= MessageDigest.isEqual(given, sign(authToken, url).getBytes(StandardCharsets.US_ASCII));
        }
        return ok;
    }
}
