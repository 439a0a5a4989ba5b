package dev.parley.security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static dev.parley.security.Verdict.Reason.CAPACITY;
import static dev.parley.security.Verdict.Reason.EXPIRED;
import static dev.parley.security.Verdict.Reason.FORGED;
import static dev.parley.security.Verdict.Reason.MALFORMED;
import static dev.parley.security.Verdict.Reason.MISSING;
import static dev.parley.security.Verdict.Reason.REUSED;

/**
 * Issues and redeems Parley's own tokens, so a browser can open a WebSocket without ever holding
 * an API key. A token is {@code v1.<keyId>.<expiresAt>.<nonce>.<mac>}: HMAC-SHA256 over the rest,
 * valid for the configured lifetime (at most 60 s) and for one WebSocket only.
 */
public final class TokenService {

    /** A new token; {@code expiresAt} in epoch seconds. Its {@code toString()} leaves the token out. */
    public record Token(String value, long expiresAt) {
        @Override
        public String toString() {
            return "Token[expiresAt=" + expiresAt + "]";
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(TokenService.class);
    private static final String PREFIX = "v1.";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final int KEY_ID_CHARS = 8;
    private static final int NONCE_CHARS = 22;
    private static final int MAC_CHARS = 43;
    /** Far above what the rate limiter lets through in a minute, yet only a few MB. */
    static final int MAX_REMEMBERED = 100_000;

    private static final String FETCH = ": get a new one from /api/realtime-token";
    private static final Verdict NO_CREDENTIAL = new Verdict(MISSING,
            "Authentication required: send ?token= from /api/realtime-token or Authorization: Bearer");
    private static final Verdict BAD_FORMAT = new Verdict(MALFORMED, "Malformed token" + FETCH);
    private static final Verdict BAD_SIGNATURE = new Verdict(FORGED, "Invalid token signature" + FETCH);
    private static final Verdict UNKNOWN_API_KEY = new Verdict(FORGED, "Unknown API key");
    private static final Verdict TOO_LATE = new Verdict(EXPIRED, "Token expired" + FETCH + " just before connecting");
    private static final Verdict USED = new Verdict(REUSED, "Token already used" + FETCH + " for each connection");
    private static final Verdict FULL = new Verdict(CAPACITY, "Too many connections opening at once: retry in a few seconds");

    private final SigningKeys keys;
    private final long ttlSeconds;
    private final List<byte[]> apiKeyDigests;
    private final Clock clock;
    private final int maxRemembered;
    /** Nonces of redeemed tokens, with their expiry in epoch seconds: a token is remembered while it could be replayed. */
    private final ConcurrentHashMap<String, Long> redeemed = new ConcurrentHashMap<>();
    private final AtomicLong nextPrune = new AtomicLong();

    public TokenService(AuthSettings settings, SigningKeys keys, Clock clock) {
        this(settings, keys, clock, MAX_REMEMBERED);
    }

    TokenService(AuthSettings settings, SigningKeys keys, Clock clock, int maxRemembered) {
        this.keys = keys;
        this.ttlSeconds = settings.tokenTtl().toSeconds();
        this.apiKeyDigests = settings.apiKeys().stream()
                .map(key -> SigningKeys.sha256(key.getBytes(StandardCharsets.UTF_8))).toList();
        this.clock = clock;
        this.maxRemembered = maxRemembered;
    }

    /** A token good for opening one WebSocket within the token lifetime. */
    public Token issue(String clientAddress) {
        SigningKeys.Key key = keys.current();
        long expiresAt = clock.millis() / 1000 + ttlSeconds;
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        String body = PREFIX + key.id + "." + expiresAt + "." + BASE64URL.encodeToString(nonce);
        String mac = BASE64URL.encodeToString(key.sign(body.getBytes(StandardCharsets.US_ASCII)));
        LOG.debug("Issued a token to {} signed by key {}, expiring at {}", clientAddress, key.id, expiresAt);
        return new Token(body + "." + mac, expiresAt);
    }

    /** Checks a token and, if it is good, uses it up. */
    public Verdict redeem(String token) {
        if (token == null || token.isBlank()) {
            return NO_CREDENTIAL;
        }
        if (!looksLikeToken(token)) {
            return BAD_FORMAT;
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 5 || !base64url(parts[1], KEY_ID_CHARS)
                || !parts[2].matches("[0-9]{1,12}") || !base64url(parts[3], NONCE_CHARS)
                || !base64url(parts[4], MAC_CHARS)) {
            return BAD_FORMAT;
        }
        // before the key: once a retired key is gone, its tokens read as expired, which is the truth
        long expiresAt = Long.parseLong(parts[2]);
        long now = clock.millis();
        if (now >= expiresAt * 1000) {
            return TOO_LATE;
        }
        SigningKeys.Key key = keys.find(parts[1]);
        if (key == null) {
            return BAD_SIGNATURE;
        }
        byte[] body = token.substring(0, token.lastIndexOf('.')).getBytes(StandardCharsets.US_ASCII);
        byte[] expected = BASE64URL.encode(key.sign(body));
        // constant time, and on the encoded form so no other spelling of the same MAC passes
        if (!MessageDigest.isEqual(expected, parts[4].getBytes(StandardCharsets.US_ASCII))) {
            return BAD_SIGNATURE;
        }
        pruneIfDue(now);
        String nonce = parts[3];
        if (redeemed.containsKey(nonce)) {
            return USED;
        }
        if (redeemed.size() >= maxRemembered) {
            return FULL;
        }
        return redeemed.putIfAbsent(nonce, expiresAt) == null ? Verdict.OK : USED;
    }

    /** Checks a static API key; every configured key is compared, in constant time. */
    public Verdict redeemApiKey(String key) {
        if (key == null || key.isBlank()) {
            return NO_CREDENTIAL;
        }
        // equal-length digests: the time depends on neither the key's length nor where it differs
        byte[] digest = SigningKeys.sha256(key.getBytes(StandardCharsets.UTF_8));
        boolean match = false;
        for (byte[] known : apiKeyDigests) {
            match |= MessageDigest.isEqual(digest, known);
        }
        return match ? Verdict.OK : UNKNOWN_API_KEY;
    }

    static boolean looksLikeToken(String value) {
        return value.startsWith(PREFIX) && value.length() <= 100;
    }

    /** Forgets used tokens once they have expired, at most once a second so a flood cannot make it costly. */
    private void pruneIfDue(long now) {
        long due = nextPrune.get();
        if (now >= due && nextPrune.compareAndSet(due, now + 1000)) {
            redeemed.values().removeIf(expiresAt -> expiresAt * 1000 <= now);
        }
    }

    private static boolean base64url(String part, int length) {
        if (part.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = part.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                return false;
            }
        }
        return true;
    }
}
