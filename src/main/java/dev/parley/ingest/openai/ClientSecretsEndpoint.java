package dev.parley.ingest.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.security.TokenService;
import dev.parley.security.WebSocketAuth;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.io.IOException;

/**
 * {@code POST /v1/realtime/client_secrets}: OpenAI's GA route for ephemeral keys, so a browser app
 * written for them works against Parley by changing its base URL. A backend holding an API key asks
 * for one; it gets a Parley token (good for one connection, within the token lifetime of at most 60 s)
 * in OpenAI's response shape: {@code value}, {@code expires_at} and the effective session, which is
 * what a connection with the key starts with (the session the request describes is checked, not
 * carried: the app's {@code session.update} after connecting applies it, as Parley's own clients do).
 * Only an API key may mint: a token cannot make another.
 */
public final class ClientSecretsEndpoint {

    public static final String PATH = "/v1/realtime/client_secrets";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 64 * 1024;

    private ClientSecretsEndpoint() {
    }

    /**
     * @param engine         the recognizer's name, the model of the effective session
     * @param defaultSource  the language a session transcribes until its client says otherwise
     */
    public static void mount(Router router, TokenService tokens, String engine, String defaultSource) {
        router.route(PATH).method(HttpMethod.POST).handler(BodyHandler.create(false).setBodyLimit(MAX_BODY))
                .handler(rc -> answer(rc, tokens, engine, defaultSource));
        router.route(PATH).handler(rc -> refuse(rc, 405, "invalid_request_error", "method_not_allowed",
                "Use POST " + PATH + "."));
    }

    private static void answer(RoutingContext rc, TokenService tokens, String engine, String defaultSource) {
        String key = WebSocketAuth.bearer(rc.request().getHeader("Authorization"));
        if (key == null || !tokens.redeemApiKey(key).ok()) {
            rc.response().putHeader("WWW-Authenticate", "Bearer");
            refuse(rc, 401, "invalid_request_error", "invalid_api_key",
                    "An API key (Authorization: Bearer) is required to create a client secret.");
            return;
        }
        String body = rc.body() == null ? "" : rc.body().asString();
        if (!body.isBlank()) {
            JsonNode request;
            try {
                request = JSON.readTree(body);
            } catch (IOException e) {
                refuse(rc, 400, "invalid_request_error", "invalid_json", "The body is not valid JSON.");
                return;
            }
            JsonNode type = request.path("session").path("type");
            if (!request.isObject() || !type.isMissingNode() && !type.asText().equals("transcription")
                    && !type.asText().equals("realtime")) {
                refuse(rc, 400, "invalid_request_error", "invalid_value", "session.type must be 'transcription' "
                        + "(or 'realtime', served as transcription).");
                return;
            }
        }
        TokenService.Token token = tokens.issue(rc.request().remoteAddress().hostAddress());
        ObjectNode answer = JSON.createObjectNode();
        answer.put("value", token.value());
        answer.put("expires_at", token.expiresAt());
        ObjectNode session = new SessionConfig(engine, defaultSource).toJson();
        session.put("object", "realtime.transcription_session");
        session.put("id", ServerEvents.id("sess_"));
        session.put("expires_at", token.expiresAt());
        answer.set("session", session);
        rc.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
                .end(answer.toString());
    }

    private static void refuse(RoutingContext rc, int status, String type, String code, String message) {
        ObjectNode error = JSON.createObjectNode();
        error.putObject("error").put("type", type).put("code", code).put("message", message).putNull("param");
        rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(error.toString());
    }
}
