package dev.parley.telephony.audiohook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP message signature (RFC 9421) that Genesys puts on an AudioHook upgrade: HMAC-SHA256 with
 * the integration's client secret (base64) over the covered components, {@code keyid} the API key.
 * Only what AudioHook uses is supported: one signature, {@code alg="hmac-sha256"}, derived
 * components {@code @request-target}, {@code @authority}, {@code @method}, {@code @path},
 * {@code @query}, {@code @scheme}, {@code @target-uri}, and plain header fields.
 *
 * <p>A signature must carry {@code created} and {@code nonce}. It is good from {@code created} until
 * {@code expires} but at most {@link #MAX_AGE_S} seconds, widened by {@link #SKEW_S} seconds each way
 * for clock differences. Within that window its nonce is remembered and a second use refused (a
 * replayed upgrade); at most {@code maxNonces} are remembered at once, beyond which new signatures
 * are refused rather than a nonce forgotten early. Thread-safe.
 */
public final class AudioHookSignature {

    /** Clock difference tolerated between Genesys and Parley, each way. */
    static final long SKEW_S = 10;
    /** How long after {@code created} a signature is good at most, whatever its {@code expires} says. */
    static final long MAX_AGE_S = 60;
    /** Far more upgrades than one minute brings, at a few MB. */
    static final int MAX_NONCES = 100_000;

    /** One signature's inner list (RFC 8941): a label, quoted component names, then parameters. */
    private static final Pattern INPUT = Pattern.compile(
            "\\s*([a-z*][a-z0-9_.*-]*)=(\\(\\s*((?:\"[^\"]+\"(?:\\s+\"[^\"]+\")*)?)\\s*\\)"
                    + "((?:; *[a-z*][a-z0-9_.*-]*=(?:\"[^\"]*\"|-?[0-9]{1,15}))*))\\s*");
    private static final Pattern ITEM = Pattern.compile("\"([^\"]+)\"");
    private static final Pattern PARAM = Pattern.compile("; *([a-z*][a-z0-9_.*-]*)=(\"[^\"]*\"|-?[0-9]{1,15})");

    /** The request as the signature sees it. */
    public record Request(String method, String scheme, String authority, String path, String query,
                          Function<String, String> header) {
        String requestTarget() {
            return query == null || query.isEmpty() ? path : path + "?" + query;
        }
    }

    private final int maxNonces;
    /** Nonces of accepted signatures, with the epoch second their signature stops being good. */
    private final ConcurrentHashMap<String, Long> nonces = new ConcurrentHashMap<>();
    private final AtomicLong nextPrune = new AtomicLong();

    public AudioHookSignature() {
        this(MAX_NONCES);
    }

    AudioHookSignature(int maxNonces) {
        this.maxNonces = maxNonces;
    }

    /** A Signature-Input or Signature header that does not parse: refused before anything is checked. */
    public static final class Malformed extends IllegalArgumentException {
        Malformed(String message) {
            super(message);
        }
    }

    /**
     * Null when the signature verifies (its nonce is then used up), else why not.
     *
     * @throws Malformed when a signature header is there but does not parse
     */
    public String verify(Request request, String apiKey, byte[] secret, long nowEpochSeconds) {
        String input = request.header().apply("Signature-Input");
        String signature = request.header().apply("Signature");
        if (input == null || signature == null) {
            return "no Signature-Input or Signature header";
        }
        Matcher m = INPUT.matcher(input);
        if (!m.matches()) {
            throw new Malformed("Signature-Input is not one signature's inner list of quoted components and parameters"
                    + " (integers or quoted strings)");
        }
        String label = m.group(1);
        String params = m.group(2);
        List<String> components = new ArrayList<>();
        Matcher item = ITEM.matcher(m.group(3));
        while (item.find()) {
            components.add(item.group(1));
        }
        Map<String, String> given = new HashMap<>();
        Matcher p = PARAM.matcher(m.group(4));
        while (p.find()) {
            if (given.put(p.group(1), p.group(2)) != null) {
                throw new Malformed("Signature-Input has parameter " + p.group(1) + " twice");
            }
        }
        String keyId = string(given, "keyid");
        String alg = string(given, "alg");
        String nonce = string(given, "nonce");
        Long created = integer(given, "created");
        Long expires = integer(given, "expires");
        if (alg != null && !alg.equals("hmac-sha256")) {
            return "unsupported alg " + alg;
        }
        if (keyId != null && !keyId.equals(apiKey)) {
            return "keyid is not the X-API-KEY";
        }
        if (created == null) {
            return "the signature has no created parameter";
        }
        if (nonce == null || nonce.isEmpty()) {
            return "the signature has no nonce parameter";
        }
        long goodUntil = Math.min(created + MAX_AGE_S, expires == null ? Long.MAX_VALUE : expires);
        if (created > nowEpochSeconds + SKEW_S) {
            return "signature created " + (created - nowEpochSeconds) + " s in the future (tolerance " + SKEW_S + " s)";
        }
        if (nowEpochSeconds > goodUntil + SKEW_S) {
            return "signature expired " + (nowEpochSeconds - goodUntil) + " s ago (good for at most " + MAX_AGE_S
                    + " s after created, tolerance " + SKEW_S + " s)";
        }
        if (!components.contains("@request-target") && !components.contains("@path")
                && !components.contains("@target-uri")) {
            return "the signature does not cover the request target";
        }
        String base = signatureBase(request, components, params);
        if (base == null) {
            return "covered component " + components.stream().filter(c -> component(request, c) == null)
                    .findFirst().orElseThrow() + " is missing";
        }
        Matcher sig = Pattern.compile("(?:^|,)\\s*" + Pattern.quote(label) + "=:([^:,]*):\\s*(?:,|$)").matcher(signature);
        if (!sig.find()) {
            throw new Malformed("Signature has no byte sequence labelled " + label + " (" + label + "=:base64:)");
        }
        byte[] mac;
        try {
            mac = Base64.getDecoder().decode(sig.group(1));
        } catch (IllegalArgumentException e) {
            throw new Malformed("Signature " + label + " is not base64");
        }
        if (!MessageDigest.isEqual(mac, hmac(secret, base))) {
            return "signature does not verify";
        }
        // Only a verified signature takes room: no one without the secret can fill the memory.
        return useNonce(nonce, goodUntil + SKEW_S, nowEpochSeconds);
    }

    /** A parameter that must be a string, if present (RFC 9421: keyid, alg, nonce). */
    private static String string(Map<String, String> params, String name) {
        String v = params.get(name);
        if (v == null) {
            return null;
        }
        if (!v.startsWith("\"")) {
            throw new Malformed("Signature-Input parameter " + name + " must be a quoted string");
        }
        return v.substring(1, v.length() - 1);
    }

    /** A parameter that must be a non-negative integer, if present (RFC 9421: created, expires). */
    private static Long integer(Map<String, String> params, String name) {
        String v = params.get(name);
        if (v == null) {
            return null;
        }
        if (!v.matches("[0-9]{1,15}")) {
            throw new Malformed("Signature-Input parameter " + name + " must be a non-negative integer (epoch seconds)");
        }
        return Long.parseLong(v);
    }

    private String useNonce(String nonce, long forgetAfter, long now) {
        long due = nextPrune.get();
        if (now >= due && nextPrune.compareAndSet(due, now + 1)) {
            nonces.values().removeIf(until -> until < now);
        }
        if (nonces.containsKey(nonce)) {
            return "nonce already used: a replayed signature";
        }
        if (nonces.size() >= maxNonces) {
            return "too many signatures still within their validity window (" + maxNonces + "); retry shortly";
        }
        return nonces.putIfAbsent(nonce, forgetAfter) == null ? null : "nonce already used: a replayed signature";
    }

    /** RFC 9421 section 2.5: one line per covered component, then the signature parameters; null if the request lacks one. */
    static String signatureBase(Request request, List<String> components, String signatureParams) {
        StringBuilder base = new StringBuilder();
        for (String c : components) {
            String value = component(request, c);
            if (value == null) {
                return null;
            }
            base.append('"').append(c).append("\": ").append(value).append('\n');
        }
        return base.append("\"@signature-params\": ").append(signatureParams.trim()).toString();
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
