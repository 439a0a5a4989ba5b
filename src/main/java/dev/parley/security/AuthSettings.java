package dev.parley.security;

import dev.parley.Config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Function;

/**
 * Who may open a WebSocket, and how Parley's own short-lived tokens are signed. Secrets (the signing
 * key, the API keys) are never printed: not by {@link #toString()}, not in an error message.
 *
 * @param required          whether WebSockets need a token or an API key at all
 * @param tokenTtl          lifetime of an issued token, 1 to 60 s: it only has to last until the socket opens
 * @param signingKey        the configured signing key, or null to generate one at start
 * @param keysFile          a file of keys (one base64 key a line, the first signs) re-read when it changes, or null
 * @param rotateEvery       how often a generated key is replaced; zero for never
 * @param apiKeys           static keys for server-to-server clients ({@code Authorization: Bearer <key>})
 * @param ratePerMinute     tokens one client address may get per minute, on average
 * @param burst             tokens one client address may get at once
 * @param trustForwardedFor whether the last {@code X-Forwarded-For} entry (set by a proxy in front) names the client
 */
public record AuthSettings(boolean required, Duration tokenTtl, byte[] signingKey, Path keysFile, Duration rotateEvery,
                           Set<String> apiKeys, int ratePerMinute, int burst, boolean trustForwardedFor) {

    public static final String REQUIRED = "parley.auth.required";
    public static final String TOKEN_TTL_S = "parley.auth.token-ttl-s";
    public static final String SIGNING_KEY = "parley.auth.signing-key";
    public static final String KEYS_FILE = "parley.auth.keys-file";
    public static final String ROTATE_EVERY_S = "parley.auth.rotate-every-s";
    public static final String API_KEYS = "parley.auth.api-keys";
    public static final String RATE_PER_MINUTE = "parley.auth.rate-limit.per-minute";
    public static final String RATE_BURST = "parley.auth.rate-limit.burst";
    public static final String TRUST_FORWARDED_FOR = "parley.auth.trust-forwarded-for";

    /** HMAC-SHA256 is as strong as its key up to the hash size. */
    static final int MIN_KEY_BYTES = 32;
    static final String KEY_HINT = "base64 of at least " + MIN_KEY_BYTES
            + " random bytes, e.g. $(head -c 32 /dev/urandom | base64)";
    private static final String HIDDEN = "(hidden)";
    private static final int MIN_API_KEY_CHARS = 16;

    public AuthSettings {
        if (tokenTtl == null || tokenTtl.toSeconds() < 1 || tokenTtl.toSeconds() > 60) {
            throw Config.invalid(TOKEN_TTL_S, String.valueOf(tokenTtl), "a whole number from 1 to 60");
        }
        if (rotateEvery == null || rotateEvery.isNegative()) {
            throw Config.invalid(ROTATE_EVERY_S, String.valueOf(rotateEvery), "0 (never) or a number of seconds");
        }
        if (signingKey != null && keysFile != null) {
            throw Config.invalid(KEYS_FILE, keysFile.toString(), "no value while " + SIGNING_KEY + " (env "
                    + Config.envName(SIGNING_KEY) + ") is set: keep the key in one of them");
        }
        if (signingKey != null && signingKey.length < MIN_KEY_BYTES) {
            throw Config.invalid(SIGNING_KEY, HIDDEN, KEY_HINT);
        }
        signingKey = signingKey == null ? null : signingKey.clone();
        apiKeys = Set.copyOf(apiKeys);
        if (ratePerMinute < 1) {
            throw Config.invalid(RATE_PER_MINUTE, String.valueOf(ratePerMinute), "a whole number of at least 1");
        }
        if (burst < 1) {
            throw Config.invalid(RATE_BURST, String.valueOf(burst), "a whole number of at least 1");
        }
    }

    /** Reads {@code parley.auth.*} through the lookup (properties, then environment). */
    public static AuthSettings fromProperties(Function<String, String> lookup) {
        Config config = new Config(lookup);
        String key = config.string(SIGNING_KEY, null);
        String file = config.string(KEYS_FILE, null);
        int rotateEvery = config.integer(ROTATE_EVERY_S, 3600, 0, 30 * 86_400);
        if (rotateEvery > 0 && rotateEvery < 60) {
            throw Config.invalid(ROTATE_EVERY_S, String.valueOf(rotateEvery), "0 (never) or 60 to " + 30 * 86_400);
        }
        return new AuthSettings(
                config.bool(REQUIRED, true),
                config.seconds(TOKEN_TTL_S, 60, 1, 60),
                key == null ? null : decodeKey(key, SIGNING_KEY),
                file == null ? null : Path.of(file),
                Duration.ofSeconds(rotateEvery),
                apiKeys(config.string(API_KEYS, "")),
                config.integer(RATE_PER_MINUTE, 30, 1, 100_000),
                config.integer(RATE_BURST, 10, 1, 10_000),
                config.bool(TRUST_FORWARDED_FOR, false));
    }

    /** Decodes a key in standard or URL-safe base64; refuses without quoting it. */
    static byte[] decodeKey(String text, String property) {
        try {
            byte[] key = Base64.getDecoder().decode(text.trim().replace('-', '+').replace('_', '/'));
            if (key.length >= MIN_KEY_BYTES) {
                return key;
            }
        } catch (IllegalArgumentException e) {
            // reported below without the value
        }
        throw Config.invalid(property, HIDDEN, KEY_HINT);
    }

    private static Set<String> apiKeys(String list) {
        Set<String> keys = new LinkedHashSet<>();
        for (String part : list.split(",")) {
            String key = part.trim();
            if (key.isEmpty()) {
                continue;
            }
            if (key.length() < MIN_API_KEY_CHARS || !key.chars().allMatch(c -> c > ' ' && c < 127)) {
                throw Config.invalid(API_KEYS, HIDDEN, "comma-separated keys of at least " + MIN_API_KEY_CHARS
                        + " printable ASCII characters without spaces, e.g. $(head -c 24 /dev/urandom | base64)");
            }
            keys.add(key);
        }
        return keys;
    }

    @Override
    public byte[] signingKey() {
        return signingKey == null ? null : signingKey.clone();
    }

    @Override
    public String toString() {
        return "AuthSettings[required=" + required + ", tokenTtl=" + tokenTtl
                + ", signingKey=" + (signingKey == null ? "generated" : "configured")
                + ", keysFile=" + keysFile + ", rotateEvery=" + rotateEvery + ", apiKeys=" + apiKeys.size()
                + ", ratePerMinute=" + ratePerMinute + ", burst=" + burst
                + ", trustForwardedFor=" + trustForwardedFor + "]";
    }
}
