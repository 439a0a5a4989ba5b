package dev.parley.ingest.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.realtime.ChannelListener;
import dev.parley.realtime.RecognitionChannel;
import dev.parley.session.CallSession;
import dev.parley.session.ClientConnection;
import dev.parley.session.SessionEvent;
import dev.parley.session.SessionRegistry;
import dev.parley.session.SessionSettings;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One client of {@code /v1/realtime?intent=transcription}: the GA Realtime transcription protocol on
 * one side, a Parley session on the other. The session opens with the first audio, once
 * {@code session.update} has had its chance to choose the format and language; from then on audio
 * goes through the route like {@code /v1/listen}'s (archive, recognizer), and the session's results
 * come back through a {@link RecognitionChannel#tap tap} on its channel and become the protocol's
 * events. Every piece of state here lives on the connection's event loop.
 *
 * <p>With {@code server_vad} (or {@code semantic_vad}) each utterance the recognizer finds is an item:
 * {@code speech_started} when it begins, {@code speech_stopped}, {@code committed} and
 * {@code conversation.item.added} when it ends, then its transcript as a {@code delta} and
 * {@code completed}; a client's commit ends the utterance in progress when the recognizer reaches
 * it (or, in silence, commits an empty item). With {@code turn_detection: null} the client commits:
 * each commit is an item, committed at once, whose transcript is everything recognised in the audio
 * since the previous commit. Deltas only ever extend what was sent, and only once an item is
 * committed, as the service does. Buffer positions count the audio appended, in milliseconds.
 */
final class TranscriptionConnection implements ClientConnection, ChannelListener {

    private static final Logger LOG = LoggerFactory.getLogger(TranscriptionConnection.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String CHANNEL = "speaker";
    private static final long MIN_COMMIT_MS = 100;
    private static final List<String> CLIENT_EVENTS = List.of("session.update", "input_audio_buffer.append",
            "input_audio_buffer.commit", "input_audio_buffer.clear");
    /** Codes of Parley's {@code error} events that are about the client's own input. */
    private static final Set<String> CLIENT_CODES = Set.of("invalid_audio", "invalid_json", "unknown_type",
            "unsupported_language_pair");

    private enum Phase { CONFIGURING, OPENING, OPEN, ENDED }

    private final TranscriptionConsumer consumer;
    private final ServerWebSocket ws;
    private final Context ctx;
    private final Vertx vertx;
    private final SessionRegistry sessions;
    private final TranscriptionRequest request;
    private final boolean trusted;
    private final SessionConfig config;
    private final String sessionId = ServerEvents.id("sess_");
    private final long expiresAt;

    private Phase phase = Phase.CONFIGURING;
    private CallSession session;
    private RecognitionChannel channel;
    /** Client messages that arrived while the session was opening, in order. */
    private final ArrayDeque<String> held = new ArrayDeque<>();
    /** Audio appended but not yet sent to the recognizer, in frames: it waits while the recognizer asks for a pause. */
    private final ArrayDeque<byte[]> unrouted = new ArrayDeque<>();
    /** Audio appended so far, in wire bytes (G.711: one a sample). */
    private long appendedBytes;
    /** Where the buffer was last committed or cleared, in milliseconds of audio appended. */
    private long committedToMs;
    private int oddByte = -1;
    private long idleTimer = -1;
    private long pauseTimer = -1;

    // Items.
    private static final class Item {
        final String id = ServerEvents.id("item_");
        long startMs = -1;
        long endMs = -1;
        boolean announced;
        boolean committed;
        String sent = "";
        String latest = "";
    }

    /** A client's commit on its way through the recognizer: its item, where it is, the client event. */
    private record Commit(Item item, long atMs, String clientEventId) {
    }

    private final Map<Integer, Item> byUtterance = new HashMap<>();
    private String previousItemId;
    /** Commits waiting for the recognizer to reach them. */
    private final ArrayDeque<Commit> commits = new ArrayDeque<>();
    /** The recognizer is at a commit and had an utterance in progress there: the commit ends it. */
    private boolean commitEndsUtterance;
    private final StringBuilder manualText = new StringBuilder();
    private long manualStartMs = -1;
    private long manualEndMs = -1;

    TranscriptionConnection(TranscriptionConsumer consumer, ServerWebSocket ws, Context ctx, SessionRegistry sessions,
                            TranscriptionRequest request, String model, boolean trusted) {
        this.consumer = consumer;
        this.ws = ws;
        this.ctx = ctx;
        this.vertx = ctx.owner();
        this.sessions = sessions;
        this.request = request;
        this.trusted = trusted;
        this.config = new SessionConfig(model, request.source());
        this.expiresAt = Instant.now().plus(sessions.limits().maxDuration()).getEpochSecond();
    }

    /** On the event loop, right after the upgrade. */
    void start() {
        consumer.closeOversizeMessages(ws, () -> {
            Phase was = phase;
            phase = Phase.ENDED;
            if (session != null && was != Phase.ENDED) {
                session.end("message_too_large", 1009);
            }
        });
        ws.textMessageHandler(this::onText);
        ws.binaryMessageHandler(b -> sendError("invalid_request_error", "invalid_value", "Binary frames are not part "
                + "of this protocol: send audio as input_audio_buffer.append events with base64 audio.", null, null));
        ws.closeHandler(v -> onClosed());
        ws.exceptionHandler(e -> LOG.debug("WebSocket error on {}: {}", sessionId, e.getMessage()));
        send(ServerEvents.session("session.created", config.toJson(sessionId, expiresAt)));
        long idle = sessions.limits().idleTimeout().toMillis();
        idleTimer = vertx.setTimer(idle, id -> {
            idleTimer = -1;
            if (phase == Phase.CONFIGURING) {
                sendError("invalid_request_error", "idle_timeout", "No audio for " + idle / 1000
                        + " s (parley.session.idle-timeout-s); the session is ending.", null, null);
                phase = Phase.ENDED;
                ws.close((short) 1000, "idle_timeout");
            }
        });
    }

    // ---- client events ----

    private void onText(String text) {
        if (phase == Phase.OPENING || pauseTimer >= 0 || !held.isEmpty()) {
            held.add(text); // in order, after what is waiting already
            return;
        }
        handle(text);
    }

    /** Handles held messages until there are none, or the recognizer asks for a pause again. */
    private void drainHeld() {
        while (!held.isEmpty() && phase == Phase.OPEN && pauseTimer < 0) {
            handle(held.poll());
        }
        if (phase != Phase.OPEN) {
            held.clear();
        }
    }

    private void handle(String text) {
        if (phase == Phase.ENDED) {
            return;
        }
        JsonNode event;
        try {
            event = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            sendError("invalid_request_error", "invalid_json", "The server failed to parse the client event: "
                    + e.getOriginalMessage(), null, null);
            return;
        }
        if (event == null || !event.isObject()) {
            sendError("invalid_request_error", "invalid_type", "Invalid type for client event: expected an object, but got "
                    + SessionConfig.kind(event) + " instead.", null, null);
            return;
        }
        String clientEventId = event.path("event_id").isTextual() ? event.path("event_id").asText() : null;
        JsonNode typeNode = event.get("type");
        if (typeNode == null || typeNode.isNull()) {
            sendError("invalid_request_error", "missing_required_parameter", "Missing required parameter: 'type'.",
                    "type", clientEventId);
            return;
        }
        String type = typeNode.asText();
        switch (type) {
            case "session.update" -> sessionUpdate(event, clientEventId);
            case "input_audio_buffer.append" -> append(event, clientEventId);
            case "input_audio_buffer.commit" -> commit(clientEventId);
            case "input_audio_buffer.clear" -> clear();
            default -> sendError("invalid_request_error", "invalid_value", "Invalid value: '" + type
                    + "'. Supported values are: '" + String.join("', '", CLIENT_EVENTS) + "'.", "type", clientEventId);
        }
    }

    private void sessionUpdate(JsonNode event, String clientEventId) {
        SessionConfig.Refusal refusal = config.apply(event.get("session"), phase != Phase.CONFIGURING,
                sessions.sourceLanguages());
        if (refusal != null) {
            sendError(refusal.type(), refusal.code(), refusal.message(), refusal.param(), clientEventId);
            return;
        }
        send(ServerEvents.session("session.updated", config.toJson(sessionId, expiresAt)));
    }

    private void append(JsonNode event, String clientEventId) {
        JsonNode audio = event.get("audio");
        if (audio == null || audio.isNull()) {
            sendError("invalid_request_error", "missing_required_parameter", "Missing required parameter: 'audio'.",
                    "audio", clientEventId);
            return;
        }
        byte[] bytes;
        try {
            if (!audio.isTextual()) {
                throw new IllegalArgumentException("not a string");
            }
            bytes = Base64.getDecoder().decode(audio.asText());
        } catch (IllegalArgumentException e) {
            sendError("invalid_request_error", "invalid_value", "Invalid 'audio'. Expected base64-encoded audio bytes ("
                    + describeFormat() + ") but got an invalid value.", "audio", clientEventId);
            return;
        }
        if (bytes.length == 0) {
            return;
        }
        if (phase == Phase.CONFIGURING) {
            openSession(bytes);
        } else if (phase == Phase.OPEN) {
            feed(bytes);
        }
    }

    private void commit(String clientEventId) {
        long at = appendedMs();
        if (phase != Phase.OPEN || at - committedToMs < MIN_COMMIT_MS) {
            commitEmpty(at, clientEventId);
            return;
        }
        Item item = new Item();
        if (!config.vad()) {
            commitItem(item); // the service commits at once; the transcript follows
            committedToMs = at;
        }
        commits.add(new Commit(item, at, clientEventId));
        channel.commit();
    }

    private void commitEmpty(long atMs, String clientEventId) {
        double has = Math.max(0, atMs - committedToMs);
        sendError("invalid_request_error", "input_audio_buffer_commit_empty", String.format(Locale.ROOT,
                "Error committing input audio buffer: buffer too small. Expected at least %dms of audio, but buffer "
                        + "only has %.2fms of audio.", MIN_COMMIT_MS, has), null, clientEventId);
    }

    private long appendedMs() {
        return appendedBytes / config.bytesPerMilli();
    }

    private void clear() {
        committedToMs = appendedMs();
        oddByte = -1;
        if (phase == Phase.OPEN) {
            channel.clear();
        }
        send(ServerEvents.cleared());
    }

    // ---- the Parley session ----

    /**
     * Opens the session with the first audio. Opening may build a decoder (about a second of CPU),
     * so it runs off the event loop; messages arriving meanwhile wait in order.
     */
    private void openSession(byte[] first) {
        phase = Phase.OPENING;
        ws.pause();
        cancel(idleTimer);
        SessionSettings settings = new SessionSettings("realtime", config.language(), request.targets(),
                config.parleyFormat(), List.of(CHANNEL), request.metadata(), request.record());
        vertx.executeBlocking(() -> sessions.open(settings, this, trusted), false).onComplete(result -> {
            if (result.failed()) {
                LOG.error("Could not open a session", result.cause());
                sendError("server_error", "internal", "The server could not open a session.", null, null);
                phase = Phase.ENDED;
                ws.close((short) 1011, "the server could not open a session");
                return;
            }
            session = result.result();
            if (session.state() != CallSession.State.OPEN || ws.isClosed()) {
                // Refused (capacity, an unreachable language): it said why and closes the socket.
                phase = Phase.ENDED;
                session.end("client_closed", 1000);
                return;
            }
            channel = session.channels().iterator().next();
            channel.tap(this);
            phase = Phase.OPEN;
            feed(first);
            drainHeld();
            if (pauseTimer < 0) {
                ws.resume();
            }
        });
    }

    /** Audio in the session's wire format, through the route to the recognizer, in frames of at most a second. */
    private void feed(byte[] bytes) {
        if (SessionConfig.PCM.equals(config.formatType())) {
            bytes = wholeSamples(bytes);
        } else if (SessionConfig.PCMA.equals(config.formatType())) {
            bytes = ALaw.toPcm16(bytes);
        }
        appendedBytes += SessionConfig.PCMA.equals(config.formatType()) ? bytes.length / 2 : bytes.length;
        int frame = (int) session.settings().format().bytesFor(1000);
        for (int off = 0; off < bytes.length; off += frame) {
            int len = Math.min(frame, bytes.length - off);
            unrouted.add(off == 0 && len == bytes.length ? bytes : java.util.Arrays.copyOfRange(bytes, off, off + len));
        }
        routeUnrouted();
    }

    /** Sends appended audio to the recognizer while it keeps up, then pauses the socket if need be. */
    private void routeUnrouted() {
        while (!unrouted.isEmpty() && phase == Phase.OPEN && !mustWait(2)) {
            route(unrouted.poll());
        }
        if (phase != Phase.OPEN) {
            unrouted.clear();
        }
        applyBackpressure();
    }

    /**
     * True while the recognizer is more than 1/{@code fraction} of its queue behind, or the audio more
     * than 1/{@code fraction} of its bound ahead of real time.
     */
    private boolean mustWait(int fraction) {
        return channel.queuedMillis() > sessions.limits().maxQueuedAudio().toMillis() / fraction
                || channel.aheadMillis() > sessions.limits().maxAhead().toMillis() / fraction;
    }

    /** PCM16 arrives as bytes: a sample split across two appends is put back together. */
    private byte[] wholeSamples(byte[] bytes) {
        byte[] in = bytes;
        if (oddByte >= 0) {
            in = new byte[bytes.length + 1];
            in[0] = (byte) oddByte;
            System.arraycopy(bytes, 0, in, 1, bytes.length);
            oddByte = -1;
        }
        if (in.length % 2 != 0) {
            oddByte = in[in.length - 1] & 0xFF;
            in = java.util.Arrays.copyOf(in, in.length - 1);
        }
        return in;
    }

    private void route(byte[] frame) {
        if (frame.length > 0) {
            consumer.deliver(session, CHANNEL, frame);
        }
    }

    /**
     * A client may send audio faster than real time (a file): rather than let the channel drop it,
     * hold it and stop reading the socket while the recognizer is more than half its queue behind, or
     * the audio more than half its bound ahead of real time ({@code parley.session.max-ahead-ms}): a
     * file is recognised at the pace of real time plus that burst, and nothing of it is dropped.
     */
    private void applyBackpressure() {
        if (pauseTimer >= 0 || unrouted.isEmpty() && !mustWait(2)) {
            return;
        }
        ws.pause();
        pauseTimer = vertx.setPeriodic(20, id -> {
            if (phase != Phase.OPEN || !mustWait(4)) {
                vertx.cancelTimer(id);
                pauseTimer = -1;
                routeUnrouted();
                drainHeld();
                if (pauseTimer < 0 && !ws.isClosed()) {
                    ws.resume();
                }
            }
        });
    }

    private void onClosed() {
        cancel(idleTimer);
        cancel(pauseTimer);
        Phase was = phase;
        phase = Phase.ENDED;
        if (session != null && was != Phase.ENDED) {
            session.end("client_closed", 1000);
        }
    }

    // ---- ClientConnection: the session's own events ----

    /** Of Parley's events only errors have a place in this protocol; results come through the tap. */
    @Override
    public void send(SessionEvent event) {
        if (!"error".equals(event.type())) {
            return;
        }
        String code = String.valueOf(event.field("code"));
        String message = String.valueOf(event.field("message"));
        String type = CLIENT_CODES.contains(code) ? "invalid_request_error" : "server_error";
        ctx.runOnContext(v -> sendError(type, code, message, null, null));
    }

    @Override
    public void close(int code, String reason) {
        ctx.runOnContext(v -> {
            phase = Phase.ENDED;
            if (!ws.isClosed()) {
                ws.close((short) code, reason);
            }
        });
    }

    // ---- ChannelListener (tap): results, on the worker; handled on the event loop ----

    @Override
    public void speechStarted(RecognitionChannel ch, int utterance, long atMs) {
        ctx.runOnContext(v -> onSpeechStarted(utterance, atMs));
    }

    @Override
    public void speechStopped(RecognitionChannel ch, int utterance, long atMs) {
        ctx.runOnContext(v -> onSpeechStopped(utterance, atMs));
    }

    @Override
    public void partial(RecognitionChannel ch, int utterance, String text) {
        ctx.runOnContext(v -> onPartial(utterance, text));
    }

    @Override
    public void complete(RecognitionChannel ch, int utterance, String text, long startMs, long endMs) {
        ctx.runOnContext(v -> onComplete(utterance, text, startMs, endMs));
    }

    @Override
    public void noResult(RecognitionChannel ch, int utterance) {
        ctx.runOnContext(v -> onNoResult(utterance));
    }

    @Override
    public void committing(RecognitionChannel ch) {
        ctx.runOnContext(v -> commitEndsUtterance = speaking());
    }

    @Override
    public void committed(RecognitionChannel ch) {
        ctx.runOnContext(v -> onCommitted());
    }

    @Override
    public void cleared(RecognitionChannel ch) {
        ctx.runOnContext(v -> resetManual());
    }

    @Override
    public void warning(RecognitionChannel ch, String code, String message) {
        // reaches the client through the session's events (ignored there: the protocol has no warnings)
    }

    @Override
    public void error(RecognitionChannel ch, String code, String message) {
        // reaches the client through the session's events, as an error event
    }

    @Override
    public void finished(RecognitionChannel ch) {
    }

    private void onSpeechStarted(int utterance, long atMs) {
        if (!config.vad()) {
            return;
        }
        Item item = new Item();
        byUtterance.put(utterance, item);
        announce(item, atMs);
    }

    private void onSpeechStopped(int utterance, long atMs) {
        if (!config.vad()) {
            return;
        }
        Item item = byUtterance.computeIfAbsent(utterance, u -> new Item());
        announce(item, atMs);
        if (commitEndsUtterance && !item.committed) {
            // Ended by the client's commit, not by silence: the service answers with committed only.
            item.endMs = atMs;
            commitItem(item);
            extend(item, item.latest);
        } else {
            stop(item, atMs);
        }
        committedToMs = Math.max(committedToMs, atMs);
    }

    private void onPartial(int utterance, String text) {
        if (!config.vad()) {
            return;
        }
        Item item = byUtterance.computeIfAbsent(utterance, u -> new Item());
        item.latest = text;
        if (item.committed) {
            extend(item, text);
        }
    }

    private void onComplete(int utterance, String text, long startMs, long endMs) {
        if (!config.vad()) {
            if (manualText.length() > 0) {
                manualText.append(' ');
            }
            manualText.append(text);
            manualStartMs = manualStartMs < 0 ? startMs : Math.min(manualStartMs, startMs);
            manualEndMs = Math.max(manualEndMs, endMs);
            return;
        }
        Item item = byUtterance.remove(utterance);
        if (item == null) {
            item = new Item();
        }
        announce(item, startMs);
        stop(item, endMs);
        extend(item, text);
        send(ServerEvents.completed(item.id, text, Math.max(0, endMs - startMs) / 1000.0));
    }

    private void onNoResult(int utterance) {
        Item item = byUtterance.remove(utterance);
        if (item != null && item.committed) {
            send(ServerEvents.completed(item.id, "", item.endMs > item.startMs ? (item.endMs - item.startMs) / 1000.0 : 0));
        }
    }

    /**
     * The recognizer reached a client's commit. Without turn detection the committed item's transcript
     * is what was recognised since the previous commit. With it, the commit ended the utterance in
     * progress (which came with its own speech_stopped and item), or commits the silence since the
     * last utterance as an empty item, or (less than 100 ms of it) is refused, as the service would.
     */
    private void onCommitted() {
        Commit commit = commits.poll();
        if (commit == null) {
            return;
        }
        Item item = commit.item();
        if (item.committed) {
            String text = manualText.toString();
            double seconds = manualEndMs > manualStartMs && manualStartMs >= 0 ? (manualEndMs - manualStartMs) / 1000.0 : 0;
            resetManual();
            extend(item, text);
            send(ServerEvents.completed(item.id, text, seconds));
        } else if (!commitEndsUtterance) {
            if (commit.atMs() - committedToMs < MIN_COMMIT_MS) {
                commitEmpty(commit.atMs(), commit.clientEventId());
            } else {
                item.startMs = committedToMs;
                item.endMs = commit.atMs();
                commitItem(item);
                send(ServerEvents.completed(item.id, "", 0));
            }
        }
        committedToMs = Math.max(committedToMs, commit.atMs());
        commitEndsUtterance = false;
    }

    private void resetManual() {
        manualText.setLength(0);
        manualStartMs = -1;
        manualEndMs = -1;
    }

    private boolean speaking() {
        return byUtterance.values().stream().anyMatch(i -> i.announced && !i.committed);
    }

    private void announce(Item item, long atMs) {
        if (!item.announced) {
            item.announced = true;
            item.startMs = atMs;
            send(ServerEvents.speechStarted(item.id, atMs));
        }
    }

    private void stop(Item item, long atMs) {
        if (!item.committed) {
            item.endMs = atMs;
            send(ServerEvents.speechStopped(item.id, atMs));
            commitItem(item);
            extend(item, item.latest);
        }
    }

    private void commitItem(Item item) {
        item.committed = true;
        send(ServerEvents.committed(item.id, previousItemId));
        send(ServerEvents.itemAdded(item.id, previousItemId));
        previousItemId = item.id;
    }

    /** Sends what {@code text} adds to what the client has of the item, if it only adds. */
    private void extend(Item item, String text) {
        if (text == null || text.length() <= item.sent.length() || !text.startsWith(item.sent)) {
            return;
        }
        send(ServerEvents.delta(item.id, text.substring(item.sent.length())));
        item.sent = text;
    }

    // ---- helpers ----

    private String describeFormat() {
        return switch (config.formatType()) {
            case SessionConfig.PCMU -> "G.711 mu-law at 8kHz";
            case SessionConfig.PCMA -> "G.711 A-law at 8kHz";
            default -> "mono PCM16 at 24kHz";
        };
    }

    private void sendError(String type, String code, String message, String param, String clientEventId) {
        send(ServerEvents.error(type, code, message, param, clientEventId));
    }

    private void send(ObjectNode event) {
        if (!ws.isClosed()) {
            ws.writeTextMessage(event.toString());
        }
    }

    private void cancel(long timer) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }
}
