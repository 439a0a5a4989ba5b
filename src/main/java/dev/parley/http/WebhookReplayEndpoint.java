package dev.parley.http;

import dev.parley.security.TokenService;
import dev.parley.security.WebSocketAuth;
import dev.parley.webhook.WebhookDispatcher;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code POST /api/webhooks/dead/replay}: sends webhook dead letters again, after a receiver was fixed. For
 * operators: an API key of {@code parley.auth.api-keys} as {@code Authorization: Bearer} (none when
 * {@code parley.auth.required} is false). Query parameters narrow it down: {@code receiver} (a configured URL,
 * or its host and port), {@code type} (event types, comma-separated), {@code from} and {@code to} (ISO-8601
 * instants; events emitted from, and before). Answers {@code {"replayed": n}}.
 */
public final class WebhookReplayEndpoint {

    public static final String PATH = "/api/webhooks/dead/replay";

    private WebhookReplayEndpoint() {
    }

    public static void mount(Router router, WebhookDispatcher dispatcher, TokenService tokens, boolean authRequired) {
        router.post(PATH).handler(rc -> replay(rc, dispatcher, tokens, authRequired));
    }

    private static void replay(RoutingContext rc, WebhookDispatcher dispatcher, TokenService tokens, boolean authRequired) {
        if (authRequired && !tokens.redeemApiKey(WebSocketAuth.bearer(rc.request().getHeader("Authorization"))).ok()) {
            rc.response().putHeader("WWW-Authenticate", "Bearer");
            fail(rc, 401, "unauthorized", "Send one of parley.auth.api-keys as Authorization: Bearer");
            return;
        }
        WebhookDispatcher.ReplayFilter filter;
        try {
            String types = rc.request().getParam("type");
            filter = new WebhookDispatcher.ReplayFilter(rc.request().getParam("receiver"),
                    types == null ? Set.of() : Arrays.stream(types.split(",")).map(String::trim)
                            .filter(t -> !t.isEmpty()).collect(Collectors.toSet()),
                    instant(rc, "from"), instant(rc, "to"));
        } catch (IllegalArgumentException e) {
            fail(rc, 400, "invalid_request", e.getMessage());
            return;
        }
        // Reads and writes the spool: off the event loop.
        rc.vertx().<Integer>executeBlocking(() -> dispatcher.replay(filter), false)
                .onSuccess(count -> rc.response().putHeader("Content-Type", "application/json")
                        .end(new JsonObject().put("replayed", count).encode()))
                .onFailure(e -> fail(rc, 500, "replay_failed", String.valueOf(e.getMessage())));
    }

    private static Instant instant(RoutingContext rc, String name) {
        String value = rc.request().getParam(name);
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(value.trim());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + name + "' must be an ISO-8601 instant such as 2026-01-31T09:00:00Z");
        }
    }

    private static void fail(RoutingContext rc, int status, String code, String message) {
        rc.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)).encode());
    }
}
