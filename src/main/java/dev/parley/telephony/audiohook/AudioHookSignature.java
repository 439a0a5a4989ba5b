package dev.parley.telephony.audiohook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP message signature (RFC 9421) that Genesys puts on an AudioHook upgrade: HMAC-SHA256 with
 * the integration's client secret (base64) over the covered components, {@code keyid} the API key.
 * Only what AudioHook uses is supported: one signature, {@code alg="hmac-sha256"}, derived
 * components {@code @request-target}, {@code @authority}, {@code @method}, {@code @path},
 * {@code @query}, {@code @scheme}, {@code @target-uri}, and plain header fields.
 */
public final class AudioHookSignature {

    private static final Pattern INPUT = Pattern.compile("\\s*([a-zA-Z][a-zA-Z0-9_-]*)=(\\(([^)]*)\\)(.*))\\s*");
    private static final Pattern ITEM = Pattern.compile("\"([^\"]+)\"");
    private static final Pattern PARAM = Pattern.compile(";\\s*([a-z]+)=(\"[^\"]*\"|[0-9]+)");
    private static final long SKEW_S = 300;

    /** The request as the signature sees it. */
    public record Request(String method, String scheme, String authority, String path, String query,
                          Function<String, String> header) {
        String requestTarget() {
            return query == null || query.isEmpty() ? path : path + "?" + query;
        }
    }

    private AudioHookSignature() {
    }

    /** Null when the signature verifies, else why not. */
    public static String verify(Request request, String apiKey, byte[] secret, long nowEpochSeconds) {
        String input = request.header().apply("Signature-Input");
        String signature = request.header().apply("Signature");
        if (input == null || signature == null) {
            return "no Signature-Input or Signature header";
        }
        Matcher m = INPUT.matcher(input);
        if (!m.matches()) {
            return "Signature-Input is not one signature's inner list";
        }
        String label = m.group(1);
        String params = m.group(2);
        List<String> components = new ArrayList<>();
        Matcher item = ITEM.matcher(m.group(3));
        while (item.find()) {
            components.add(item.group(1));
        }
        String keyId = null;
        String alg = null;
        Long created = null;
        Long expires = null;
        Matcher p = PARAM.matcher(m.group(4));
        while (p.find()) {
            String v = p.group(2).startsWith("\"") ? p.group(2).substring(1, p.group(2).length() - 1) : p.group(2);
            switch (p.group(1)) {
                case "keyid" -> keyId = v;
                case "alg" -> alg = v;
                case "created" -> created = Long.parseLong(v);
                case "expires" -> expires = Long.parseLong(v);
                default -> { }
            }
        }
        if (alg != null && !alg.equals("hmac-sha256")) {
            return "unsupported alg " + alg;
        }
        if (keyId != null && !keyId.equals(apiKey)) {
            return "keyid is not the X-API-KEY";
        }
        if (created != null && created > nowEpochSeconds + SKEW_S) {
            return "signature created in the future";
        }
        if (expires != null && expires < nowEpochSeconds - SKEW_S) {
            return "signature expired";
        }
        if (!components.contains("@request-target") && !components.contains("@path")
                && !components.contains("@target-uri")) {
            return "the signature does not cover the request target";
        }
        StringBuilder base = new StringBuilder();
        for (String c : components) {
            String value = component(request, c);
            if (value == null) {
                return "covered component " + c + " is missing";
            }
            base.append('"').append(c).append("\": ").append(value).append('\n');
        }
        base.append("\"@signature-params\": ").append(params.trim());
        Matcher sig = Pattern.compile("(?:^|,)\\s*" + Pattern.quote(label) + "=:([A-Za-z0-9+/=]+):").matcher(signature);
        if (!sig.find()) {
            return "no signature labelled " + label;
        }
        byte[] given;
        try {
            given = Base64.getDecoder().decode(sig.group(1));
        } catch (IllegalArgumentException e) {
            return "signature is not base64";
        }
        return MessageDigest.isEqual(given, hmac(secret, base.toString())) ? null : "signature does not verify";
    }

    /** The signature base's value of one component; null when the request lacks it. */
    static String component(Request r, String name) {
        return switch (name) {
            case "@request-target" -> r.requestTarget();
            case "@method" -> r.method().toUpperCase(Locale.ROOT);
            case "@authority" -> r.authority().toLowerCase(Locale.ROOT);
            case "@scheme" -> r.scheme().toLowerCase(Locale.ROOT);
            case "@path" -> r.path();
            case "@query" -> "?" + (r.query() == null ? "" : r.query());
            case "@target-uri" -> r.scheme() + "://" + r.authority() + r.requestTarget();
            default -> {
                if (name.startsWith("@")) {
                    yield null;
                }
                String v = r.header().apply(name);
                yield v == null ? null : v.trim();
            }
        };
    }

    public static byte[] hmac(byte[] secret, String base) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(base.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }
}
