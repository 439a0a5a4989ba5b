package dev.parley.http;

import dev.parley.privacy.Erasure;
import dev.parley.security.TokenService;
import dev.parley.security.WebSocketAuth;
import dev.parley.session.ClientText;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Map;

/**
 * Erasure over HTTP, for server-side callers with an API key ({@code Authorization: Bearer}, as
 * {@code /api/sessions/{id}/pause}): {@code DELETE /api/sessions/{id}} erases one session, and
 * {@code DELETE /api/sessions?meta.KEY=VALUE} every archived session whose metadata has it. The
 * answer lists what was removed of each ({@code 404} when nothing of the session is kept; {@code 409}
 * while it is still open).
 */
public final class ErasureEndpoint {

    private ErasureEndpoint() {
    }

    public static void mount(Router router, Erasure erasure, TokenService tokens, boolean authRequired) {
        router.delete("/api/sessions/:id").handler(rc -> {
            if (authorized(rc, tokens, authRequired)) {
                String id = rc.pathParam("id");
                answer(rc, () -> erasure.erase(id).map(List::of).orElse(null),
                        "No session " + ClientText.shorten(id, 40) + " in the archive or the webhook spool");
            }
        });
        router.delete("/api/sessions").handler(rc -> {
            if (!authorized(rc, tokens, authRequired)) {
                return;
            }
            List<Map.Entry<String, String>> meta = rc.queryParams().entries().stream()
                    .filter(e -> e.getKey().startsWith("meta.") && e.getKey().length() > 5).toList();
            if (meta.size() != 1 || rc.queryParams().size() != 1 || meta.get(0).getValue().isEmpty()) {
                fail(rc, 400, "invalid_request", "Name one metadata value: DELETE /api/sessions?meta.customer_id=C-1001");
                return;
            }
            String key = meta.get(0).getKey().substring(5);
            String value = meta.get(0).getValue();
            answer(rc, () -> erasure.eraseWhere(key, value), null);
        });
    }

    private interface Work {
        List<Erasure.Erased> run() throws Erasure.SessionOpenException;
    }

    /** Erases off the event loop (it walks and deletes files); {@code notFound} answers 404 when it finds nothing. */
    private static void answer(RoutingContext rc, Work work, String notFound) {
        rc.vertx().<List<Erasure.Erased>>executeBlocking(() -> work.run(), false).onComplete(result -> {
            if (result.failed()) {
                if (result.cause() instanceof Erasure.SessionOpenException open) {
                    fail(rc, 409, "session_open", open.getMessage());
                } else {
                    rc.fail(result.cause());
                }
            } else if (result.result() == null) {
                fail(rc, 404, "not_found", notFound);
            } else {
                JsonArray erased = new JsonArray();
                result.result().forEach(e -> erased.add(new JsonObject(e.json())));
                rc.response().putHeader("Content-Type", "application/json")
                        .end(new JsonObject().put("erased", erased).encode());
            }
        });
    }

    private static boolean authorized(RoutingContext rc, TokenService tokens, boolean authRequired) {
        if (authRequired && !tokens.redeemApiKey(WebSocketAuth.bearer(rc.request().getHeader("Authorization"))).ok()) {
            rc.response().putHeader("WWW-Authenticate", "Bearer");
            fail(rc, 401, "unauthorized", "Send one of parley.auth.api-keys as Authorization: Bearer");
            return false;
        }
        return true;
    }

    private static void fail(RoutingContext rc, int status, String code, String message) {
        rc.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)).encode());
    }
}
