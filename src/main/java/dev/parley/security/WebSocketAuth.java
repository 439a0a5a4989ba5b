package dev.parley.security;

import dev.parley.metrics.ParleyMeters;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Decides whether a WebSocket upgrade may proceed, before it happens, from the request's
 * {@code token} query parameter and {@code Authorization} header. Browsers cannot set headers on a
 * WebSocket, so they send a token in the query; servers send {@code Authorization: Bearer} with a
 * token or a configured API key. API keys are refused in the query, where proxies and logs keep URLs.
 */
public final class WebSocketAuth {

    private static final Runnable NOTHING = () -> { };

    private final TokenService tokens;
    private final boolean required;
    private final ParleyMeters meters;
    private final AnonymousConnections anonymous;
    /** Known only inside this process: the warm-up's sessions use it (never written anywhere). */
    private final String rehearsal;

    public WebSocketAuth(TokenService tokens, AuthSettings settings) {
        this(tokens, settings, ParleyMeters.none(), new AnonymousConnections(AnonymousConnections.DEFAULT_MAX_PER_ADDRESS,
                settings.trustForwardedFor()));
    }

    public WebSocketAuth(TokenService tokens, AuthSettings settings, ParleyMeters meters, AnonymousConnections anonymous) {
        this.tokens = tokens;
        this.required = settings.required();
        this.meters = meters;
        this.anonymous = anonymous;
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        this.rehearsal = "rehearsal_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        List<String> reasons = new ArrayList<>();
        for (Verdict.Reason reason : Verdict.Reason.values()) {
            if (reason != Verdict.Reason.OK) {
                reasons.add(reason.code());
            }
        }
        meters.tokens(reasons);
    }

    /**
     * Admits a connection that {@link #check} accepted: one that is not {@link Verdict#trusted()
     * trusted} counts against its client address's bound ({@link AnonymousConnections}). Returns what
     * to run once the connection has closed, or null when the address has too many open.
     */
    public Runnable admit(Verdict verdict, String remoteAddress, String forwardedFor) {
        return verdict.trusted() ? NOTHING : anonymous.tryOpen(remoteAddress, forwardedFor);
    }

    /** What a connection refused by {@link #admit} is told: fits a close frame. */
    public String tooManyFromAddress() {
        return anonymous.refusal();
    }

    /**
     * The verdict for one upgrade; a token is used up by it. Either argument may be null. A
     * configured API key gives {@link Verdict#TRUSTED} (also where no credential is required).
     */
    public Verdict check(String queryToken, String authorization) {
        String bearer = bearer(authorization);
        if (bearer != null && MessageDigest.isEqual(bearer.getBytes(StandardCharsets.UTF_8),
                rehearsal.getBytes(StandardCharsets.UTF_8))) {
            return Verdict.REHEARSAL;
        }
        if (!required) {
            return bearer != null && tokens.redeemApiKey(bearer).ok() ? Verdict.TRUSTED : Verdict.OK;
        }
        Verdict verdict = verdict(queryToken, bearer);
        if (!verdict.ok()) {
            meters.tokenRefused(verdict.reason().code());
        }
        return verdict;
    }

    private Verdict verdict(String queryToken, String bearer) {
        if (bearer == null) {
            return tokens.redeem(queryToken);
        }
        Verdict apiKey = tokens.redeemApiKey(bearer);
        if (apiKey.ok()) {
            return Verdict.TRUSTED;
        }
        return !TokenService.looksLikeToken(bearer) ? apiKey : tokens.redeem(bearer);
    }

    /**
     * The bearer credential of Parley's own warm-up ({@code Warmup}), which rehearses a session's whole
     * path on loopback before Parley reports ready: random per start, held only in memory.
     */
    public String rehearsalCredential() {
        return rehearsal;
    }

    /** The credential of an {@code Authorization: Bearer} header (scheme case-insensitive, RFC 9110), or null. */
    public static String bearer(String authorization) {
        if (authorization == null) {
            return null;
        }
        String value = authorization.trim();
        if (value.length() < 7 || !value.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            return null;
        }
        String credential = value.substring(7).trim();
        return credential.isEmpty() ? null : credential;
    }
}
