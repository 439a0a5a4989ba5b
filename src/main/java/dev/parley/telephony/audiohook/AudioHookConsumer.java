package dev.parley.telephony.audiohook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.audio.AudioEncoding;
import dev.parley.audio.AudioFormat;
import dev.parley.http.HttpServer;
import dev.parley.ingest.WebSocketIngest;
import dev.parley.session.CallSession;
import dev.parley.session.ClientText;
import dev.parley.session.ClientConnection;
import dev.parley.session.SessionEvent;
import dev.parley.session.SessionRegistry;
import dev.parley.session.SessionSettings;
import dev.parley.telephony.CallLanguages;
import dev.parley.telephony.Metadata;
import dev.parley.ingest.IngestEndpoint;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Serves AudioHook v2 on Parley's HTTP server. Messages are handled on the connection's event loop in
 * arrival order; the session is opened off it while the socket is paused. {@code seq}, {@code clientseq}
 * and {@code serverseq} are checked and kept exactly; any protocol violation gets {@code disconnect}
 * with reason {@code error} (the server never sends {@code error}); a failed API key or signature gets
 * {@code disconnect} with reason {@code unauthorized} in answer to {@code open}; a signature header
 * that does not parse is refused before the upgrade with 401. Parley's own pause
 * ({@link ClientConnection#pause}) sends {@code pause} and {@code resume}. The call's timeline is kept
 * across discarded, lost and paused audio: gaps go down the route in order with the frames.
 */
final class AudioHookConsumer extends WebSocketIngest {

    private static final Logger LOG = LoggerFactory.getLogger(AudioHookConsumer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROBE = "00000000-0000-0000-0000-000000000000";
    private static final long CLOSE_GRACE_MS = 5000;
    private static final long MAX_FRAME_MS = 1000;

    private final SessionRegistry sessions;
    private final AudioHookComponent.Settings settings;
    private final AudioHookSignature signatures;

    AudioHookConsumer(IngestEndpoint endpoint, Processor processor, HttpServer http, SessionRegistry sessions,
                      AudioHookComponent.Settings settings, AudioHookSignature signatures, String path) {
        super(endpoint, processor, http, path);
        this.sessions = sessions;
        this.settings = settings;
        this.signatures = signatures;
    }

    @Override
    protected String notAWebSocket() {
        return path() + " is the WebSocket for Genesys AudioHook.";
    }

    @Override
    protected void upgrade(RoutingContext rc) {
        String unauthorized;
        try {
            unauthorized = authenticate(rc.request());
        } catch (AudioHookSignature.Malformed e) {
            // A header that does not parse cannot come from Genesys: refused before the upgrade.
            LOG.warn("Refused an AudioHook upgrade from {}: signature: {}", rc.request().remoteAddress(), e.getMessage());
            rc.response().setStatusCode(401).putHeader("Content-Type", "text/plain; charset=utf-8")
                    .end("signature: " + e.getMessage() + "\n");
            return;
        }
        String sessionHeader = rc.request().getHeader("Audiohook-Session-Id");
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h : List.of("Audiohook-Organization-Id", "Audiohook-Correlation-Id", "Audiohook-Session-Id")) {
            if (rc.request().getHeader(h) != null) {
                headers.put(h, rc.request().getHeader(h));
            }
        }
        rc.request().toWebSocket()
                .onSuccess(ws -> new Connection(ws, http().vertx().getOrCreateContext(), unauthorized, sessionHeader, headers).start())
                .onFailure(e -> LOG.debug("AudioHook WebSocket upgrade failed: {}", e.getMessage()));
    }

    /**
     * Null when the client may open sessions, else why not (said with 'disconnect' in answer to 'open').
     *
     * @throws AudioHookSignature.Malformed when a signature header does not parse
     */
    private String authenticate(HttpServerRequest request) {
        if (settings.apiKeys().isEmpty()) {
            return settings.authRequired() ? "no AudioHook API key is configured (parley.audiohook.api-keys)" : null;
        }
        String key = request.getHeader("X-API-KEY");
        boolean known = false;
        for (String k : settings.apiKeys()) {
            known |= key != null && MessageDigest.isEqual(k.getBytes(StandardCharsets.UTF_8), key.getBytes(StandardCharsets.UTF_8));
        }
        if (!known) {
            return key == null ? "no X-API-KEY" : "X-API-KEY is not known";
        }
        if (settings.clientSecret() != null && !settings.clientSecret().isBlank()) {
            String authority = request.getHeader("Host") != null ? request.getHeader("Host") : request.authority().toString();
            AudioHookSignature.Request r = new AudioHookSignature.Request(request.method().name(),
                    request.isSSL() ? "https" : "http", authority, request.path(), request.query(), request::getHeader);
            String failure = signatures.verify(r, key, Base64.getDecoder().decode(settings.clientSecret()),
                    System.currentTimeMillis() / 1000);
            if (failure != null) {
                return "signature: " + failure;
            }
        }
        return null;
    }

    /** A protocol violation by the client. */
    private static final class Violation extends Exception {
        Violation(String message) {
            super(message);
        }
    }

    /** One AudioHook connection: its protocol state, touched only on its event loop. */
    private final class Connection implements ClientConnection {
        private final ServerWebSocket ws;
        private final Context context;
        private final String unauthorized;
        private final String sessionHeader;
        private final Map<String, String> headers;
        private String id;
        private long clientSeq;
        private long serverSeq;
        private boolean opened;
        private boolean probe;
        private boolean clientPaused;
        /** Parley was asked to pause (over HTTP): no audio is kept whatever the client does. */
        private boolean serverPaused;
        private boolean closeRequested;
        private boolean disconnecting;
        private boolean finished;
        private boolean sessionClosed;
        private List<String> channels = List.of();
        /** The AudioHook position in samples: audio received, discarded or lost; paused time is not in it. */
        private long positionSamples;
        /** Paused time the client reported in 'resumed': in the call's timeline, not in the position. */
        private long pausedSamples;
        private long heldGap;          // samples of gaps not yet sent down the route
        private long openedAtNanos;
        private CallSession session;
        /** Finals go back to the client as transcript events (the open's customConfig, else parley.audiohook.transcripts). */
        private boolean transcripts;
        /** The language tag the open named, e.g. en-US: the customer's, said in transcripts where it is the channel's language. */
        private String openLanguage;
        /** Pauses the client reported, as {start, length} in samples of the call's timeline (which counts them; AudioHook's does not). */
        private final List<long[]> pauses = new ArrayList<>();

        Connection(ServerWebSocket ws, Context context, String unauthorized, String sessionHeader, Map<String, String> headers) {
            this.ws = ws;
            this.context = context;
            this.unauthorized = unauthorized;
            this.sessionHeader = sessionHeader;
            this.headers = headers;
        }

        void start() {
            closeOversizeMessages(ws, () -> {
                if (session != null && !finished) {
                    endSession("message_too_large");
                }
                finished = true;
            });
            ws.textMessageHandler(this::text);
            ws.binaryMessageHandler(this::audio);
            ws.closeHandler(v -> {
                if (session != null) {
                    endSession("client_closed");
                }
            });
        }

        private void text(String text) {
            if (finished) {
                return;
            }
            try {
                message(text);
            } catch (Violation v) {
                disconnect("error", v.getMessage());
            }
        }

        private void message(String text) throws Violation {
            JsonNode m;
            try {
                m = JSON.readTree(text);
            } catch (Exception e) {
                throw new Violation("a text message that is not JSON");
            }
            if (m == null || !m.isObject() || !m.path("type").isTextual() || !m.path("seq").isIntegralNumber()
                    || !m.path("id").isTextual()) {
                throw new Violation("a message without type, seq or id");
            }
            if (!"2".equals(m.path("version").asText())) {
                throw new Violation("version must be \"2\"");
            }
            String type = m.path("type").asText();
            long seq = m.path("seq").asLong();
            if (seq != clientSeq + 1) {
                throw new Violation("seq " + seq + " where " + (clientSeq + 1) + " was expected");
            }
            clientSeq = seq;
            long serverseq = m.path("serverseq").asLong(-1);
            if (!m.path("serverseq").isIntegralNumber() || serverseq < 0 || serverseq > serverSeq) {
                throw new Violation("serverseq " + m.path("serverseq") + " but the server has sent " + serverSeq + " messages");
            }
            if (id == null) {
                if (!type.equals("open")) {
                    throw new Violation("'" + type + "' before 'open'");
                }
                id = m.path("id").asText();
                if (sessionHeader != null && !sessionHeader.equalsIgnoreCase(id)) {
                    throw new Violation("id is not the Audiohook-Session-Id header");
                }
            } else if (!id.equals(m.path("id").asText())) {
                throw new Violation("id " + m.path("id").asText() + " is not this session's");
            }
            checkPosition(m);
            if (disconnecting && !type.equals("close")) {
                return;
            }
            if (session != null) {
                session.keepAlive();   // idle means no audio and no message
            }
            JsonNode parameters = m.path("parameters");
            switch (type) {
                case "open" -> {
                    if (opened) {
                        throw new Violation("a second 'open'");
                    }
                    open(parameters);
                }
                case "ping" -> {
                    requireOpened(type);
                    send("pong", JSON.createObjectNode());
                }
                case "update" -> {
                    requireOpened(type);
                    languageUpdate(parameters.path("language"));
                    send("updated", JSON.createObjectNode());
                }
                case "paused" -> {
                    requireOpened(type);
                    boolean was = recording();
                    clientPaused = true;
                    recordingChanged(was, "client");
                }
                case "resumed" -> {
                    requireOpened(type);
                    if (parameters.has("discarded")) {
                        long paused = samples(parameters.path("discarded"), "resumed's parameters.discarded");
                        announcedGap(paused);
                        pauses.add(new long[] {positionSamples + pausedSamples, paused});
                        pausedSamples += paused;
                    }
                    boolean was = recording();
                    clientPaused = false;
                    recordingChanged(was, "client");
                }
                case "discarded" -> {
                    requireOpened(type);
                    discarded(parameters);
                }
                case "error" -> {
                    // The client's own trouble: noted, and the session goes on until the client closes it.
                    LOG.warn("AudioHook client {} reports an error: {}", id, parameters);
                    if (session != null) {
                        session.emit(SessionEvent.of("warning").field("code", "client_error")
                                .field("message", "The AudioHook client reported error " + parameters.path("code").asText("?")
                                        + ": " + ClientText.shorten(parameters.path("message").asText(""), 500)));
                    }
                }
                case "close" -> {
                    closeRequested = true;
                    if (session == null || probe || sessionClosed) {
                        sendClosed();
                    } else {
                        endSession("close");   // 'closed' follows once every final is out
                    }
                }
                default -> throw new Violation("unknown message type '" + ClientText.shorten(type, 40) + "'");
            }
        }

        /**
         * A new customer language. The channels' recognizers were opened for the call's languages and
         * stay as they are: a different one is answered, and said not to apply.
         */
        private void languageUpdate(JsonNode language) throws Violation {
            if (language.isMissingNode()) {
                return;
            }
            String code = language.isTextual() ? CallLanguages.normalise(language.asText()) : null;
            if (code == null) {
                throw new Violation("update's parameters.language must be a language tag such as en-US");
            }
            String current = session == null ? null : session.settings().sourceOf(CallLanguages.CUSTOMER);
            if (current != null && !current.equals(code)) {
                session.emit(SessionEvent.of("warning").field("code", "language_not_changed").field("message",
                        "The AudioHook client set the language to " + ClientText.shorten(language.asText(), 40) + "; Parley goes on recognising "
                                + current + " until the call ends."));
            }
        }

        private void requireOpened(String type) throws Violation {
            if (!opened) {
                throw new Violation("'" + type + "' before the session was opened");
            }
        }

        /** A client message's position may run ahead of the audio received: the audio between was lost. */
        private void checkPosition(JsonNode m) throws Violation {
            if (!m.has("position") || !opened || channels.isEmpty()) {
                return;
            }
            long position = samples(m.path("position"), "position");
            if (position > positionSamples + 8 * 20) {
                skipTo(position);
            }
        }

        /**
         * Audio the client discarded, from {@code start} for {@code discarded}. Its position counts it
         * (the message's own position may already have moved the timeline past it).
         */
        private void discarded(JsonNode parameters) throws Violation {
            long discarded = samples(parameters.path("discarded"), "discarded's parameters.discarded");
            long start = parameters.has("start") ? samples(parameters.path("start"), "discarded's parameters.start") : positionSamples;
            skipTo(start + discarded);
        }

        /** Lost or discarded audio: at most parley.audiohook.max-position-jump-s at once. */
        private void skipTo(long position) throws Violation {
            if (position > positionSamples) {
                long jump = position - positionSamples;
                if (jump > maxJumpSamples()) {
                    throw new Violation("position " + seconds(position) + " is " + seconds(jump) + " ahead of the audio received;"
                            + " at most " + settings.maxPositionJump().toSeconds() + " s may be lost or discarded at once");
                }
                announcedGap(jump);
                positionSamples = position;
            }
        }

        /**
         * A gap a message announces (lost, discarded or paused audio), which the archive writes as silence:
         * bounded so that small messages cannot make Parley write hours of it. A real call's timeline
         * keeps to the clock, so it may run ahead of the time since 'open' by at most the largest jump
         * (audio sent faster than real time, a burst after a stall), and never past the session's maximum length.
         */
        private void announcedGap(long samples) throws Violation {
            long limit = sessions.limits().maxDuration().toSeconds() * 8000;
            long timeline = positionSamples + pausedSamples + samples;
            if (timeline > limit) {
                throw new Violation("a gap of " + samples / 8 + " ms would take the call beyond its maximum length of "
                        + sessions.limits().maxDuration().toSeconds() + " s");
            }
            long elapsed = (System.nanoTime() - openedAtNanos) / 125_000;
            if (timeline > elapsed + maxJumpSamples()) {
                throw new Violation("a gap of " + samples / 8 + " ms would put the call's timeline at " + seconds(timeline)
                        + ", " + seconds(timeline - elapsed) + " ahead of the time since 'open'");
            }
            gap(samples);
        }

        private long maxJumpSamples() {
            return settings.maxPositionJump().toSeconds() * 8000;
        }

        /**
         * Audio the call had that Parley does not keep: silence in the archive, time the recognizer's
         * results step over. Held and sent as one gap before the next audio kept or the session's end,
         * so a client streaming while paused costs one gap, not one per frame.
         */
        private void gap(long samples) {
            if (samples > 0 && session != null && !probe) {
                heldGap += samples;
            }
        }

        private void sendHeldGap() {
            if (heldGap > 0 && session != null) {
                deliverGap(session, null, heldGap);
            }
            heldGap = 0;
        }

        private void endSession(String reason) {
            sendHeldGap();
            session.end(reason, 1000);
        }

        private void open(JsonNode p) throws Violation {
            if (unauthorized != null) {
                LOG.warn("AudioHook session {} unauthorized: {}", id, unauthorized);
                disconnect("unauthorized", unauthorized);
                return;
            }
            opened = true;
            openedAtNanos = System.nanoTime();
            String conversationId = p.path("conversationId").asText(null);
            if (conversationId == null) {
                throw new Violation("open needs parameters.conversationId");
            }
            probe = PROBE.equals(conversationId);
            JsonNode chosen = choose(p.path("media"));
            if (chosen == null) {
                // As the reference server's transcription connector does: no 'opened' with no media to take.
                disconnect("error", "No matching media format offered: Parley takes PCMU at 8000 Hz, channels"
                        + " [external, internal], [external] or [internal]");
                return;
            }
            ObjectNode reply = JSON.createObjectNode().put("startPaused", false);
            reply.putArray("media").add(chosen);
            List<String> offered = new ArrayList<>();
            chosen.path("channels").forEach(c -> offered.add(c.asText()));
            channels = offered.stream().map(c -> c.equals("internal") ? CallLanguages.AGENT : CallLanguages.CUSTOMER).toList();
            if (p.path("supportedLanguages").asBoolean(false)) {
                settings.languageTags().forEach(reply.putArray("supportedLanguages")::add);
            }
            if (probe) {
                // The connection probe is answered and leaves nothing behind.
                send("opened", reply);
                return;
            }
            Map<String, String> params = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = p.path("customConfig").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                params.put(e.getKey(), e.getValue().asText());
            }
            if (p.path("language").isTextual() && !params.containsKey("customer_language")) {
                params.put("customer_language", p.path("language").asText());
            }
            openLanguage = p.path("language").isTextual() ? p.path("language").asText() : null;
            String wantsTranscripts = params.getOrDefault("transcripts", Boolean.toString(settings.transcripts()));
            if (!wantsTranscripts.equals("true") && !wantsTranscripts.equals("false")) {
                throw new Violation("customConfig.transcripts must be \"true\" or \"false\"");
            }
            transcripts = Boolean.parseBoolean(wantsTranscripts);
            CallLanguages.Resolved languages;
            try {
                languages = settings.languages().resolve(params, channels);
            } catch (CallLanguages.Invalid e) {
                disconnect("error", e.getMessage());
                return;
            }
            IngestEndpoint endpoint = (IngestEndpoint) getEndpoint();
            String record = params.getOrDefault("record", Boolean.toString(endpoint.recordDefault(settings.recordDefault())));
            Metadata metadata = new Metadata().put("audiohook_session_id", id).put("conversation_id", conversationId)
                    .put("organization_id", p.path("organizationId").asText(null))
                    .put("participant_id", p.path("participant").path("id").asText(null))
                    .put("ani", p.path("participant").path("ani").asText(null))
                    .put("dnis", p.path("participant").path("dnis").asText(null))
                    .put("correlation_id", headers.get("Audiohook-Correlation-Id"));
            SessionSettings s = new SessionSettings("audiohook", languages.first(), List.of(),
                    new AudioFormat(AudioEncoding.MULAW, 8000), channels, metadata.toMap(), endpoint.recordAllowed() && Boolean.parseBoolean(record),
                    languages.sources(), languages.targets());
            ws.pause();
            http().vertx().executeBlocking(() -> sessions.open(s, this), false).onComplete(r -> {
                if (r.failed()) {
                    LOG.error("Could not open a session", r.cause());
                    disconnect("error", "the server could not open a session");
                } else {
                    session = r.result();
                    if (session.state() == CallSession.State.OPEN) {
                        send("opened", reply);
                    }
                    // else refused (capacity, a pair no engine reaches): close() says so with disconnect
                }
                ws.resume();
            });
        }

        /** Stereo PCMU at 8 kHz (external, internal) if offered, else a mono PCMU offer; null if none fits. */
        private JsonNode choose(JsonNode offers) {
            JsonNode mono = null;
            for (JsonNode o : offers) {
                if (!"audio".equals(o.path("type").asText()) || !"PCMU".equals(o.path("format").asText())
                        || o.path("rate").asInt() != 8000) {
                    continue;
                }
                List<String> ch = new ArrayList<>();
                o.path("channels").forEach(c -> ch.add(c.asText()));
                if (ch.size() == 2 && ch.contains("external") && ch.contains("internal")) {
                    return o;
                }
                if (ch.size() == 1 && (ch.contains("external") || ch.contains("internal")) && mono == null) {
                    mono = o;
                }
            }
            return mono;
        }

        private void audio(Buffer buffer) {
            if (finished || disconnecting) {
                return;
            }
            if (!opened || channels.isEmpty() || closeRequested) {
                disconnect("error", "audio " + (closeRequested ? "after 'close'" : "before the session was opened"));
                return;
            }
            byte[] bytes = buffer.getBytes();
            int n = channels.size();
            if (bytes.length % n != 0 || bytes.length > MAX_FRAME_MS * 8 * n) {
                disconnect("error", "an audio frame of " + bytes.length + " bytes for " + n + " channel(s)");
                return;
            }
            int frames = bytes.length / n;
            positionSamples += frames;
            if (probe || session == null) {
                return;
            }
            if (!recording()) {
                gap(frames);   // sent while paused (or before the client heard 'pause'): its time counts, its audio is not kept
                return;
            }
            sendHeldGap();
            for (int c = 0; c < n; c++) {
                byte[] share = new byte[frames];
                for (int i = 0; i < frames; i++) {
                    share[i] = bytes[i * n + c];
                }
                deliver(session, channels.get(c), share);
            }
        }

        private boolean recording() {
            return !serverPaused && !clientPaused;
        }

        /** Says in the session's events where in the call audio stopped or started being kept, and who caused it. */
        private void recordingChanged(boolean was, String by) {
            if (was != recording() && session != null && !probe) {
                session.emit(SessionEvent.of(was ? "audio.paused" : "audio.resumed")
                        .field("at_ms", (positionSamples + pausedSamples) / 8).field("by", by));
            }
        }

        @Override
        public boolean canPause() {
            return true;
        }

        @Override
        public CompletionStage<Boolean> pause(boolean pause) {
            CompletableFuture<Boolean> done = new CompletableFuture<>();
            context.runOnContext(v -> done.complete(serverPause(pause)));
            return done;
        }

        /**
         * Parley's own pause: from now on no audio is kept, and the client is asked to stop sending
         * ('pause', answered by 'paused'). 'resume' asks it to go on; audio is kept again once it has
         * resumed, or at once if it never paused. Only a change is sent: a 'resume' must not end a
         * pause the platform started itself (its own secure pause), and a second 'pause' asks nothing new.
         */
        private boolean serverPause(boolean pause) {
            if (session == null || probe || closeRequested || disconnecting || finished) {
                return false;
            }
            if (serverPaused == pause) {
                return true;
            }
            boolean was = recording();
            serverPaused = pause;
            send(pause ? "pause" : "resume", JSON.createObjectNode());
            recordingChanged(was, "api");
            return true;
        }

        private String position() {
            return AudioHookTranscripts.duration(positionSamples);
        }

        private void send(String type, ObjectNode parameters) {
            if (ws.isClosed()) {
                return;
            }
            ObjectNode m = JSON.createObjectNode().put("version", "2").put("type", type).put("seq", ++serverSeq)
                    .put("clientseq", clientSeq).put("id", id == null ? "" : id).put("position", position());
            m.set("parameters", parameters);
            ws.writeTextMessage(m.toString());
        }

        private void sendClosed() {
            if (!finished) {
                finished = true;
                send("closed", JSON.createObjectNode());
                closeSoon();
            }
        }

        private void disconnect(String reason, String info) {
            if (disconnecting || finished) {
                return;
            }
            disconnecting = true;
            LOG.info("AudioHook session {}: disconnect {} ({})", id, reason, info);
            send("disconnect", JSON.createObjectNode().put("reason", reason).put("info", info));
            if (session != null) {
                endSession("error".equals(reason) ? "protocol_error" : reason);
            }
            closeSoon();
        }

        /** The client closes the socket after 'closed' or answers 'disconnect' with 'close'; if it does not, the server does. */
        private void closeSoon() {
            http().vertx().setTimer(CLOSE_GRACE_MS, t -> {
                if (!ws.isClosed()) {
                    ws.close((short) 1000, "");
                }
            });
        }

        /**
         * Each final goes back as a transcript event when the session asked for them; every other event
         * (translations included: the protocol has no place for them) goes to the archive and webhooks only.
         */
        @Override
        public void send(SessionEvent event) {
            if (transcripts && "transcript.final".equals(event.type())) {
                context.runOnContext(v -> {
                    if (!disconnecting && !finished && !ws.isClosed()) {
                        int channelId = channels.indexOf(event.channel());
                        if (channelId >= 0) {
                            send("event", AudioHookTranscripts.event(event, channelId, this::position, languageTag(event.language())));
                        }
                    }
                });
            }
        }

        /**
         * Where a time of the call (ms, as the archive's) lies in AudioHook's timeline, in samples: the
         * call's timeline counts paused time, AudioHook's position leaves it out.
         */
        private long position(long callMs) {
            long at = callMs * 8;
            long paused = 0;
            for (long[] pause : pauses) {
                paused += Math.max(0, Math.min(at - pause[0], pause[1]));
            }
            return at - paused;
        }

        /** The channel's language as the protocol names it: the open's own tag if it is that language, else the recognizer's. */
        private String languageTag(String language) {
            if (language == null) {
                return null;
            }
            if (openLanguage != null && language.equals(CallLanguages.normalise(openLanguage))) {
                return openLanguage;
            }
            return settings.languageTags().stream().filter(t -> t.startsWith(language + "-")).findFirst().orElse(null);
        }

        /** AudioHook's own way: 'reconnect', upon which the client opens a session elsewhere and closes this one. */
        @Override
        public void draining() {
            context.runOnContext(v -> {
                if (session != null && !probe && !closeRequested && !disconnecting && !finished) {
                    send("reconnect", JSON.createObjectNode().put("info", "Parley is shutting down"));
                }
            });
        }

        @Override
        public void close(int code, String reason) {
            context.runOnContext(v -> {
                sessionClosed = true;
                if (closeRequested) {
                    sendClosed();
                } else if (!disconnecting && !finished) {
                    // 1012: Parley shut down; it asked the client to reconnect elsewhere (draining), and is done.
                    disconnect(code == 1000 || code == 1001 || code == 1012 ? "completed" : "error", reason == null ? "" : reason);
                }
            });
        }
    }

    private static String seconds(long samples) {
        return String.format(java.util.Locale.ROOT, "%.3f s", samples / 8000.0);
    }

    /** An ISO 8601 duration of at least zero, in samples at 8 kHz. */
    private static long samples(JsonNode value, String what) throws Violation {
        try {
            Duration d = Duration.parse(value.asText());
            if (!d.isNegative()) {
                return d.toNanos() / 125_000;
            }
        } catch (DateTimeParseException | ArithmeticException e) {
            // said below
        }
        throw new Violation(what + " must be an ISO 8601 duration such as PT1.5S, not " + ClientText.shorten(value.toString(), 40));
    }
}
