package dev.parley.ingest.openai;

import dev.parley.http.HttpServer;
import dev.parley.ingest.IngestEndpoint;
import dev.parley.ingest.SessionDefaults;
import dev.parley.ingest.WebSocketIngest;
import dev.parley.security.Verdict;
import dev.parley.security.WebSocketAuth;
import dev.parley.session.SessionRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Serves {@code /v1/realtime?intent=transcription} on Parley's HTTP server (which offers no
 * WebSocket extensions: the official Java SDK refuses any). It checks the upgrade before accepting
 * it: a plain HTTP request gets 426, a wrong query 400, a missing or wrong credential 401 (as the
 * service answers; the SDKs report the status), each with a JSON body shaped as the service's errors. Each accepted connection is handled on its own event
 * loop, so its events reach the route in arrival order; the route's steps must not block.
 */
final class TranscriptionConsumer extends WebSocketIngest {

    private static final Logger LOG = LoggerFactory.getLogger(TranscriptionConsumer.class);

    private final WebSocketAuth auth;
    private final SessionRegistry sessions;
    private final SessionDefaults defaults;
    private final long maxHeldMs;

    TranscriptionConsumer(IngestEndpoint endpoint, Processor processor, HttpServer http, WebSocketAuth auth,
                          String path, SessionRegistry sessions, SessionDefaults defaults, long maxHeldMs) {
        super(endpoint, processor, http, path);
        this.auth = auth;
        this.sessions = sessions;
        this.defaults = defaults;
        this.maxHeldMs = maxHeldMs;
    }

    @Override
    protected String notAWebSocket() {
        return path() + " is a WebSocket endpoint: connect with a WebSocket client.";
    }

    @Override
    protected void answerPlainHttp(RoutingContext rc) {
        refuse(rc, 426, "invalid_request_error", "websocket_required", notAWebSocket());
    }

    @Override
    protected void upgrade(RoutingContext rc) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        rc.queryParams().forEach(e -> query.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
        TranscriptionRequest request;
        try {
            request = TranscriptionRequest.parse(query, defaults);
        } catch (TranscriptionRequest.Invalid e) {
            refuse(rc, 400, "invalid_request_error", "invalid_request", e.getMessage());
            return;
        }
        List<String> tokens = query.getOrDefault("token", List.of());
        Verdict verdict = auth.check(tokens.isEmpty() ? null : tokens.get(0), rc.request().getHeader("Authorization"));
        if (verdict.reason() == Verdict.Reason.CAPACITY) {
            rc.response().putHeader("Retry-After", "2");
            refuse(rc, 503, "server_error", "capacity", verdict.message());
            return;
        }
        if (!verdict.ok()) {
            rc.response().putHeader("WWW-Authenticate", "Bearer");
            refuse(rc, 401, "invalid_request_error", "invalid_api_key", verdict.message());
            return;
        }
        // A connection with a token counts against its address's bound until it closes.
        Runnable admitted = auth.admit(verdict, rc.request().remoteAddress().hostAddress(),
                rc.request().getHeader("X-Forwarded-For"));
        if (admitted == null) {
            refuse(rc, 429, "invalid_request_error", "rate_limit_exceeded", auth.tooManyFromAddress());
            return;
        }
        rc.request().connection().closeHandler(v -> admitted.run());
        rc.request().toWebSocket().onSuccess(ws -> {
            Context ctx = Vertx.currentContext();
            new TranscriptionConnection(this, ws, ctx, sessions, request, sessions.recognizer().name(), verdict.trusted(),
                    maxHeldMs).start();
        }).onFailure(e -> {
            admitted.run();
            LOG.debug("WebSocket upgrade failed on {}: {}", path(), e.getMessage());
        });
    }

    private static void refuse(RoutingContext rc, int status, String type, String code, String message) {
        JsonObject error = new JsonObject().put("type", type).put("code", code).put("message", message)
                .putNull("param").putNull("event_id");
        rc.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", error).encode());
    }
}
