package dev.parley.http;

import dev.parley.console.Audit;
import dev.parley.security.StaffAuth;
import dev.parley.security.TokenService;
import dev.parley.security.WebSocketAuth;
import dev.parley.session.CallSession;
import dev.parley.session.ClientText;
import dev.parley.session.SessionRegistry;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.Optional;

/**
 * {@code POST /api/sessions/{id}/pause} and {@code /resume}: stop and restart keeping a session's
 * audio while someone must not be recorded, a card number read out say. For server-side callers
 * (an agent desktop, a payment flow): an API key of {@code parley.auth.api-keys} as
 * {@code Authorization: Bearer}, none when {@code parley.auth.required} is false. The answer comes
 * once no later audio is kept. Only sessions whose client can pause its stream can be paused.
 * Signed-in staff may do the same from the console (session cookie and CSRF token, {@link StaffAuth}).
 */
public final class SessionControlEndpoint {

    private SessionControlEndpoint() {
    }

    public static void mount(Router router, SessionRegistry sessions, TokenService tokens, boolean authRequired,
                             StaffAuth staff) {
        router.post("/api/sessions/:id/pause").handler(rc -> control(rc, sessions, tokens, authRequired, staff, true));
        router.post("/api/sessions/:id/resume").handler(rc -> control(rc, sessions, tokens, authRequired, staff, false));
    }

    private static void control(RoutingContext rc, SessionRegistry sessions, TokenService tokens, boolean authRequired,
                                StaffAuth staff, boolean pause) {
        String id = rc.pathParam("id");
        if (rc.request().getHeader("Authorization") == null && staff.authenticate(rc).isPresent()) {
            Audit.log(rc, pause ? "pause" : "resume", "session=" + ClientText.shorten(id, 64));
        } else if (authRequired && !tokens.redeemApiKey(WebSocketAuth.bearer(rc.request().getHeader("Authorization"))).ok()) {
            rc.response().putHeader("WWW-Authenticate", "Bearer");
            fail(rc, 401, "unauthorized", "Send one of parley.auth.api-keys as Authorization: Bearer,"
                    + " or sign in to the console (session cookie and " + StaffAuth.CSRF_HEADER + ")");
            return;
        }
        Optional<CallSession> found = sessions.find(id);
        if (found.isEmpty()) {
            fail(rc, 404, "not_found", "No session " + ClientText.shorten(id, 40) + " (open or recently closed)");
            return;
        }
        CallSession session = found.get();
        if (session.state() != CallSession.State.OPEN) {
            fail(rc, 409, "session_ended", "Session " + id + " has ended");
            return;
        }
        Context context = rc.vertx().getOrCreateContext();
        // The connection answers on its own event loop; the response is written back on this one.
        session.client().pause(pause).whenComplete((done, failure) -> context.runOnContext(v -> {
            if (failure != null) {
                rc.fail(failure);
            } else if (!done) {
                fail(rc, 409, "cannot_pause", "Session " + id + " (" + session.settings().ingest()
                        + ") cannot be paused: its client has no way to pause its stream, or it is closing."
                        + " Genesys AudioHook sessions can be paused.");
            } else {
                rc.response().putHeader("Content-Type", "application/json")
                        .end(new JsonObject().put("session_id", id).put("paused", pause).encode());
            }
        }));
    }

    private static void fail(RoutingContext rc, int status, String code, String message) {
        rc.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)).encode());
    }
}
