package dev.parley.telephony.twilio;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Twilio's request signature: {@code X-Twilio-Signature} is the base64 HMAC-SHA1, keyed with the
 * account's auth token, of the URL Twilio requested followed by its POST parameters (sorted, name then
 * value). A Media Streams upgrade is a GET with no parameters, so only the URL is signed: the stream's
 * {@code wss://} URL, which carries no query string (Twilio refuses one in {@code <Stream url>}).
 */
public final class TwilioSignature {

    /** scheme://host[:port]/rest, the host possibly an IPv6 literal in brackets. */
    private static final Pattern URL = Pattern.compile("([a-z]+://)(\\[[^\\]]*\\]|[^/:?#]*)(:\\d+)?(.*)", Pattern.DOTALL);

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

    /**
     * The URLs a Media Streams upgrade may have been signed for: {@code publicUrl} when set, else
     * {@code wss://<host><path>} (the query string left out), each with and without its port and, without
     * one, with 443. Twilio's own validators accept both forms because its signing is not consistent
     * about the port.
     *
     * @param path the request's raw path, without its query string
     */
    public static List<String> upgradeUrls(String publicUrl, String host, String path) {
        String url = publicUrl != null ? publicUrl : "wss://" + host + path;
        Set<String> urls = new LinkedHashSet<>();
        urls.add(url);
        Matcher m = URL.matcher(url);
        if (m.matches()) {
            String withoutPort = m.group(1) + m.group(2) + m.group(4);
            urls.add(withoutPort);
            if (m.group(3) == null) {
                urls.add(m.group(1) + m.group(2) + ":443" + m.group(4));
            }
        }
        return new ArrayList<>(urls);
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
