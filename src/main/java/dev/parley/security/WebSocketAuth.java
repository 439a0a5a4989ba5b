package dev.parley.security;

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

    public WebSocketAuth(TokenService tokens, AuthSettings settings) {
        this.tokens = tokens;
        this.required = settings.required();
    }

    /**
     * The verdict for one upgrade; a token is used up by it. Either argument may be null. A
     * configured API key gives {@link Verdict#TRUSTED} (also where no credential is required).
     */
    public Verdict check(String queryToken, String authorization) {
        String bearer = bearer(authorization);
        if (!required) {
            return bearer != null && tokens.redeemApiKey(bearer).ok() ? Verdict.TRUSTED : Verdict.OK;
        }
        if (bearer == null) {
            return tokens.redeem(queryToken);
        }
        Verdict apiKey = tokens.redeemApiKey(bearer);
        if (apiKey.ok()) {
            return Verdict.TRUSTED;
        }
        return !TokenService.looksLikeToken(bearer) ? apiKey : tokens.redeem(bearer);
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
