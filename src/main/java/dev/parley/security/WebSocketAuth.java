package dev.parley.security;

import dev.parley.metrics.ParleyMeters;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Decides whether a WebSocket upgrade may proceed, before it happens, from the request's
 * {@code token} query parameter and {@code Authorization} header. Browsers cannot set headers on a
 * WebSocket, so they send a token in the query; servers send {@code Authorization: Bearer} with a
 * token or a configured API key. API keys are refused in the query, where proxies and logs keep URLs.
 */
public final class WebSocketAuth {

    private final TokenService tokens;
    private final boolean required;
    private final ParleyMeters meters;

    public WebSocketAuth(TokenService tokens, AuthSettings settings) {
        this(tokens, settings, ParleyMeters.none());
    }

    public WebSocketAuth(TokenService tokens, AuthSettings settings, ParleyMeters meters) {
        this.tokens = tokens;
        this.required = settings.required();
        this.meters = meters;
        List<String> reasons = new ArrayList<>();
        for (Verdict.Reason reason : Verdict.Reason.values()) {
            if (reason != Verdict.Reason.OK) {
                reasons.add(reason.code());
            }
        }
        meters.tokens(reasons);
    }

    /** The verdict for one upgrade; a token is used up by it. Either argument may be null. */
    public Verdict check(String queryToken, String authorization) {
        if (!required) {
            return Verdict.OK;
        }
        Verdict verdict = verdict(queryToken, bearer(authorization));
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
        return apiKey.ok() || !TokenService.looksLikeToken(bearer) ? apiKey : tokens.redeem(bearer);
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
