package dev.parley.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.parley.http.HttpServer;
import dev.parley.security.Verdict;
import dev.parley.security.WebSocketAuth;
import dev.parley.session.CallSession;
import dev.parley.session.SessionRegistry;
import dev.parley.session.SessionSettings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code /v1/listen} WebSocket: checks the token and the query before a session exists, opens
 * one session per connection, and sends its binary frames down the route as audio.
 */
final class ListenConsumer extends WebSocketIngest {

    private static final Logger LOG = LoggerFactory.getLogger(ListenConsumer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final WebSocketAuth auth;
    private final SessionRegistry sessions;
    private final SessionDefaults defaults;

    ListenConsumer(IngestEndpoint endpoint, Processor processor, HttpServer http, WebSocketAuth auth, String path, SessionRegistry sessions,
                   SessionDefaults defaults) {
        super(endpoint, processor, http, path);
        this.auth = auth;
        this.sessions = sessions;
        this.defaults = defaults;
    }

    @Override
    protected String notAWebSocket() {
        return path() + " is a WebSocket endpoint: connect with a WebSocket client.";
    }

    @Override
    protected void upgrade(RoutingContext rc) {
        SessionSettings settings;
        String invalid = null;
        try {
            settings = ListenRequest.parse(query(rc), defaults, sessions.sourceLanguages());
        } catch (ListenRequest.Invalid e) {
            settings = null;
            invalid = e.getMessage();
        }
        Verdict verdict = auth.check(rc.request().getParam("token"), rc.request().getHeader("Authorization"));
        SessionSettings accepted = settings;
        String refusal = invalid;
        // A connection with a token counts against its address's bound until it closes.
        Runnable admitted = verdict.ok() && refusal == null ? auth.admit(verdict,
                rc.request().remoteAddress().hostAddress(), rc.request().getHeader("X-Forwarded-For")) : null;
        if (admitted != null) {
            rc.request().connection().closeHandler(v -> admitted.run());
        }
        rc.request().toWebSocket().onSuccess(ws -> {
            // Refusals are close codes with a reason after the upgrade: a browser sees neither the
            // status nor the body of a refused upgrade.
            if (!verdict.ok()) {
                ws.close((short) (verdict.reason() == Verdict.Reason.CAPACITY ? 1013 : 4401), verdict.message());
            } else if (refusal != null) {
                ws.close((short) 1008, refusal);
            } else if (admitted == null) {
                ws.close((short) 4429, auth.tooManyFromAddress());
            } else {
                new Connection(ws, accepted, verdict).start();
            }
        }).onFailure(e -> {
            if (admitted != null) {
                admitted.run();
            }
            LOG.debug("WebSocket upgrade failed on {}: {}", path(), e.getMessage());
        });
    }

    private static Map<String, List<String>> query(RoutingContext rc) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        rc.queryParams().forEach(e -> query.computeIfAbsent(e.getKey(), k -> new java.util.ArrayList<>()).add(e.getValue()));
        return query;
    }

    /** One client connection: its session, and a fragmented message being put together. */
    private final class Connection {
        private final ServerWebSocket ws;
        private final SessionSettings settings;
        private final Verdict verdict;
        private final long maxFrameBytes;
        private final MessageSize size;
        private CallSession session;
        private Buffer fragments;
        private boolean fragmentIsText;

        Connection(ServerWebSocket ws, SessionSettings settings, Verdict verdict) {
            this.ws = ws;
            this.settings = settings;
            this.verdict = verdict;
            this.maxFrameBytes = settings.format().bytesFor(1000);
            this.size = new MessageSize(http().maxMessageBytes());
        }

        /**
         * Opening a session may build a decoder (about a second of CPU), so it runs off the event
         * loop; the socket is paused meanwhile, and its frames wait in order until the session exists.
         */
        void start() {
            ws.pause();
            http().vertx().executeBlocking(() -> verdict.rehearsal() ? sessions.openRehearsal(settings, new WebSocketClient(ws))
                    : sessions.open(settings, new WebSocketClient(ws), verdict.trusted()), false)
                    .onSuccess(opened -> {
                        session = opened;
                        if (ws.isClosed()) {
                            // Refused while opening (capacity, an unreachable language), or the client left.
                            session.end("client_closed", 1000);
                            return;
                        }
                        ws.frameHandler(this::frame);
                        ws.closeHandler(v -> session.end("client_closed", 1000));
                        ws.exceptionHandler(e -> LOG.debug("WebSocket error in {}: {}", session.id(), e.getMessage()));
                        ws.resume();
                    })
                    .onFailure(e -> {
                        LOG.error("Could not open a session", e);
                        ws.close((short) 1011, "the server could not open a session");
                    });
        }

        private void frame(WebSocketFrame frame) {
            if (ws.isClosed() || !frame.isText() && !frame.isBinary() && !frame.isContinuation()) {
                return;
            }
            if (!frame.isContinuation()) {
                fragments = null;
                fragmentIsText = frame.isText();
            }
            // Both limits are checked before the frame joins its message, so memory never holds more.
            if (!size.add(frame)) {
                ws.close((short) 1009, size.reason());
                session.end("message_too_large", 1009);
                return;
            }
            long length = (fragments == null ? 0 : fragments.length()) + frame.binaryData().length();
            if (!fragmentIsText && length > maxFrameBytes) {
                ws.close((short) 1009, "audio frame over 1 s (" + maxFrameBytes + " bytes)");
                session.end("frame_too_large", 1009);
                return;
            }
            Buffer data = fragments == null ? frame.binaryData() : fragments.appendBuffer(frame.binaryData());
            if (!frame.isFinal()) {
                fragments = data;
                return;
            }
            fragments = null;
            if (fragmentIsText) {
                control(data.toString());
            } else {
                audio(data.getBytes());
            }
        }

        private void audio(byte[] bytes) {
            if (bytes.length % settings.format().encoding().bytesPerSample() != 0) {
                session.audioIgnored("invalid_audio", settings.format().secondsOf(bytes.length));
                session.rejectInput("invalid_audio", "A " + settings.format().encoding().wireName()
                        + " frame must hold whole samples; got " + bytes.length + " bytes. The frame was ignored.");
                return;
            }
            deliver(session, ListenRequest.CHANNEL, bytes);
        }

        private void control(String text) {
            JsonNode message;
            try {
                message = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                session.rejectInput("invalid_json", "Text frames must be JSON objects: " + e.getOriginalMessage());
                return;
            }
            String type = message != null && message.isObject() ? message.path("type").asText(null) : null;
            if ("input_audio.end".equals(type)) {
                session.end("input_audio.end", 1000);
            } else {
                session.rejectInput("unknown_type", "Unknown message type '" + type
                        + "'. Send audio as binary frames and {\"type\":\"input_audio.end\"} to finish.");
            }
        }
    }
}
