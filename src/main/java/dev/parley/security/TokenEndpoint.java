package dev.parley.security;

import dev.parley.metrics.ParleyMeters;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;

/**
 * {@code GET} and {@code POST /api/realtime-token}: the backend token exchange of the reference guide,
 * so the page a browser loads never holds an API key. Answers {@code {"token", "expires_at"}} and
 * is rate-limited per client address.
 */
public final class TokenEndpoint {

    public static final String PATH = "/api/realtime-token";

    private TokenEndpoint() {
    }

    public static void mount(Router router, TokenService tokens, RateLimiter limiter) {
        mount(router, tokens, limiter, ParleyMeters.none());
    }

    public static void mount(Router router, TokenService tokens, RateLimiter limiter, ParleyMeters meters) {
        meters.tokens(List.of("rate_limited"));
        router.route(PATH).method(HttpMethod.GET).method(HttpMethod.POST).handler(rc -> answer(rc, tokens, limiter, meters));
    }

    private static void answer(RoutingContext rc, TokenService tokens, RateLimiter limiter, ParleyMeters meters) {
        String client = limiter.clientAddress(rc.request().remoteAddress().hostAddress(),
                rc.request().getHeader("X-Forwarded-For"));
        HttpServerResponse response = rc.response()
                .putHeader("Content-Type", "application/json")
                // a token is for one connection: no browser or proxy may hand it out again
                .putHeader("Cache-Control", "no-store");
        RateLimiter.Decision decision = limiter.tryAcquire(client);
        if (!decision.allowed()) {
            meters.tokenRefused("rate_limited");
            long wait = decision.retryAfterSeconds();
            response.setStatusCode(429).putHeader("Retry-After", Long.toString(wait))
                    .end(new JsonObject().put("error", new JsonObject()
                            .put("code", "rate_limited")
                            .put("message", "Too many token requests: retry in " + wait + " s")).encode());
            return;
        }
        TokenService.Token token = tokens.issue(client);
        meters.tokenIssued();
        response.end(new JsonObject().put("token", token.value()).put("expires_at", token.expiresAt()).encode());
    }
}
