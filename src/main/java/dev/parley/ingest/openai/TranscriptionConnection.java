package dev.parley.ingest.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.privacy.RedactionSettings;
import dev.parley.privacy.Redactor;
import dev.parley.realtime.ChannelListener;
import dev.parley.realtime.RecognitionChannel;
import dev.parley.session.CallSession;
import dev.parley.session.ClientConnection;
import dev.parley.session.ParleyHeaders;
import dev.parley.session.SessionEvent;
import dev.parley.session.SessionRegistry;
import dev.parley.session.SessionSettings;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>The channel's results are append-only ({@link RecognitionChannel#appendOnly}): its partials only
 * ever extend each other and its final extends its last partial, so the deltas are true increments,
 * sent as the words become stable, and joined they are the {@code completed} transcript and the
 * archive's and webhooks' final. Items are named by the session's own item ids
 * ({@link CallSession#itemId}), the ids of the archive and the webhooks.
 *
 * <p>With {@code server_vad} each utterance the recognizer finds is an item: {@code speech_started}
 * when it begins, its deltas while it is spoken, {@code speech_stopped}, {@code committed},
 * {@code conversation.item.added} and {@code .done} when it ends, then {@code completed}. A client's
 * commit is acknowledged at once, even while the recognizer is still on audio before it: its item is
 * everything from where the recognizer was when the commit came (the utterance in progress there
 * included) up to the commit, one utterance of the channel ({@link RecognitionChannel#mergeUntilCommit}),
 * empty if nothing is recognised in it. With
 * {@code turn_detection: null} the client commits: each commit is one item, here and in the archive
 * and webhooks, committed at once, whose transcript is everything recognised in the audio since the
 * previous commit; its deltas start at the commit. Buffer positions count the audio appended, in
 * milliseconds.
 *
 * <p>Audio sent faster than real time (a file) waits here, with the commits and clears between it,
 * and goes on to the recognizer at the pace of real time ({@link #unrouted}); the socket is read on
 * meanwhile, up to a bound. Nothing the client appended and did not clear is missing from the
 * archive, whoever ends the session ({@link #ending}).
 *
 * <p>With redaction on ({@code parley.redaction.*}, unless {@code speaker-sees-original}) the text
 * comes from the session's own events instead, redacted as the archive's and the webhooks' is: the
 * tap still marks where items start and end, and an item's {@code completed} waits for its redacted
 * final. Deltas give of each redacted partial only what no later word can change
 * ({@link Redactor#settledLength}): a number, an email address or a date of birth still being spoken
 * is held back until it is judged.
 */
final class TranscriptionConnection implements ClientConnection, ChannelListener {

    private static final Logger LOG = LoggerFactory.getLogger(TranscriptionConnection.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String CHANNEL = "speaker";
    private static final long MIN_COMMIT_MS = 100;
    private static final long MAX_UNARCHIVED_MS = 30_000;
    /** Audio this far ahead of real time comes faster than speech: a file, or a burst. */
    private static final long BURST_MS = 250;
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
    /** Set when the client's text is the session's redacted text, not the channel's. */
    private final Redactor redactor;
    /** Appended audio held for the recognizer beyond which the socket is no longer read. */
    private final long maxHeldMs;
    /** The event loop's thread: every piece of state here is touched on it only. */
    private Thread loop;

    private Phase phase = Phase.CONFIGURING;
    private CallSession session;
    private RecognitionChannel channel;
    /** Client messages that arrived while the session was opening, in order. */
    private final ArrayDeque<String> held = new ArrayDeque<>();
    /**
     * What the client sent and the recognizer has not had yet, in order: audio in frames, and the
     * commits and clears between it. Audio waits here while it comes faster than the recognizer takes
     * it ({@link #mustWait}); the socket is read on, so a commit is acknowledged at once, up to
     * {@link #maxHeldMs} of audio waiting.
     */
    private final ArrayDeque<Pending> unrouted = new ArrayDeque<>();
    private long unroutedBytes;
    /** Reading the socket stopped: more than {@link #maxHeldMs} of audio is waiting for the recognizer. */
    private boolean socketPaused;
    /** The client closed while audio was waiting for the recognizer: the session ends once it has it all. */
    private boolean clientGone;
    /**
     * Audio the recognizer has heard and the archive not yet, oldest first: the client may still clear
     * it. It is archived at the commit that keeps it (the client's, or the end of an utterance), as
     * silence when cleared, and anyway once it is older than {@link #MAX_UNARCHIVED_MS}.
     */
    private final ArrayDeque<byte[]> unarchived = new ArrayDeque<>();
    private long unarchivedBytes;
    /** Audio the archive has had, as audio or as silence, in the session's bytes. */
    private long archivedBytes;
    /** Audio appended so far, in wire bytes (G.711: one a sample). */
    private long appendedBytes;
    /** Where the buffer was last committed or cleared, in milliseconds of audio appended. */
    private long committedToMs;
    private int oddByte = -1;
    private long idleTimer = -1;
    private long pumpTimer = -1;
    /** The client sent audio faster than speech and the recognizer has not caught up since: see {@link #mustWait}. */
    private boolean fasterThanSpeech;

    // Items.
    private static final class Item {
        final String id;
        long startMs = -1;
        long endMs = -1;
        boolean announced;
        boolean committed;
        String sent = "";
        String latest = "";
        /** Committed by the client: its transcript is complete once the recognizer has reached the commit. */
        boolean awaitingCommit;
        /** Its {@code completed}, held until then. */
        ObjectNode completion;
        /** The recognizer has finished it: its {@code completed} waits for the session's redacted final. */
        boolean awaitingRedacted;

        Item(String id) {
            this.id = id;
        }
    }

    /** A client's commit on its way through the recognizer: its item, and where it is in the audio appended. */
    private record Commit(Item item, long atMs) {
    }

    /** An entry of {@link #unrouted}. */
    private sealed interface Pending permits Audio, CommitMark, ClearMark {
    }

    private record Audio(byte[] bytes) implements Pending {
    }

    /** A client's commit, acknowledged when it came. */
    private record CommitMark(Item item, long atMs) implements Pending {
    }

    /** A client's clear; without turn detection, of the channel's utterance {@code utterance} (else -1). */
    private record ClearMark(int utterance) implements Pending {
    }

    private final Map<Integer, Item> byUtterance = new HashMap<>();
    /** Items the recognizer has finished, by id, until their redacted final comes (with redaction on). */
    private final Map<String, Item> unjudged = new HashMap<>();
    private String previousItemId;
    /** Commits waiting for the recognizer to reach them. */
    private final ArrayDeque<Commit> commits = new ArrayDeque<>();
    /**
     * The tap's results, in the order the channel gave them, until the event loop handles them: a
     * commit handles those given before it asked for its item first ({@link #commit}).
     */
    private final java.util.concurrent.ConcurrentLinkedQueue<Runnable> results = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Commits sent to the channel: without turn detection, commit n is the channel's utterance n. */
    private int manualCommits;

    TranscriptionConnection(TranscriptionConsumer consumer, ServerWebSocket ws, Context ctx, SessionRegistry sessions,
                            TranscriptionRequest request, String model, boolean trusted, long maxHeldMs) {
        this.consumer = consumer;
        this.ws = ws;
        this.ctx = ctx;
        this.vertx = ctx.owner();
        this.sessions = sessions;
        this.request = request;
        this.trusted = trusted;
        this.config = new SessionConfig(model, request.source());
        RedactionSettings redaction = sessions.redaction();
        this.redactor = redaction.enabled() && !redaction.speakerSeesOriginal() ? new Redactor(redaction.entities()) : null;
        this.maxHeldMs = maxHeldMs;
    }

    /** On the event loop, right after the upgrade. */
    void start() {
        loop = Thread.currentThread();
        consumer.closeOversizeMessages(ws, () -> {
            if (session != null && phase == Phase.OPEN) {
                session.end("message_too_large", 1009); // what the client sent before is archived: see ending()
            }
            phase = Phase.ENDED;
        });
        ws.textMessageHandler(this::onText);
        ws.binaryMessageHandler(b -> sendError("invalid_request_error", "invalid_value", "Binary frames are not part "
                + "of this protocol: send audio as input_audio_buffer.append events with base64 audio.", null, null));
        ws.closeHandler(v -> onClosed());
        ws.exceptionHandler(e -> LOG.debug("WebSocket error on {}: {}",
                session == null ? "a session not yet open" : session.id(), e.getMessage()));
        send(ServerEvents.session("session.created", config.toJson()));
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
        if (phase == Phase.OPENING || !held.isEmpty()) {
            held.add(text); // in order, after what is waiting already
            return;
        }
        handle(text);
    }

    /** Handles the messages that arrived while the session was opening. */
    private void drainHeld() {
        while (!held.isEmpty() && phase == Phase.OPEN) {
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
        send(ServerEvents.session("session.updated", config.toJson()));
        for (SessionConfig.Refusal lacking : config.unsupported()) {
            sendError(lacking.type(), lacking.code(), lacking.message(), lacking.param(), clientEventId);
        }
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
        committedToMs = at;
        // Acknowledged at once, as the service does, even while the recognizer is still on audio before
        // it; its transcript follows when the recognizer reaches the commit.
        Item item;
        if (config.vad()) {
            // Its item: what the recognizer finds from where it is now (in the utterance in progress, if
            // one is) up to the commit, one utterance of the channel, named now.
            int clears = (int) unrouted.stream().filter(ClearMark.class::isInstance).count();
            int utterance = channel.mergeUntilCommit(clears);
            handleResults(); // the items the recognizer ended before come first
            item = byUtterance.computeIfAbsent(utterance, u -> new Item(session.itemId(channel, u)));
            item.announced = true; // a merge started by the commit, not by speech, has no speech_started
        } else {
            // Its item: what was appended up to here.
            int utterance = manualCommits++;
            item = byUtterance.computeIfAbsent(utterance, u -> new Item(session.itemId(channel, u)));
        }
        commitItem(item);
        item.awaitingCommit = true;
        extend(item, item.latest);
        hold(new CommitMark(item, at));
    }

    /** The recognizer has had the audio before a client's commit: that audio goes to the archive, the commit to the channel. */
    private void reach(CommitMark mark) {
        archiveUpTo(Long.MAX_VALUE);
        commits.add(new Commit(mark.item(), mark.atMs()));
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
        // A clear right after a clear withdraws nothing more: one waits, however many a client sends.
        if (phase == Phase.OPEN && !(unrouted.peekLast() instanceof ClearMark)) {
            hold(new ClearMark(config.vad() ? -1 : manualCommits));
        }
        send(ServerEvents.cleared());
    }

    /** The recognizer has had the audio before a client's clear: what the archive has not had of it is withdrawn. */
    private void reach(ClearMark mark) {
        withdrawUnarchived();
        channel.clear();
        if (mark.utterance() >= 0) {
            byUtterance.remove(mark.utterance()); // what was recognised since the last commit is withdrawn
        }
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
            channel.appendOnly(!config.vad());
            phase = Phase.OPEN;
            feed(first);
            drainHeld();
            if (!socketPaused) {
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
        // Small appends join the frame waiting last, so that what waits is bounded by its bytes and not
        // by how many messages carried them.
        if (unrouted.peekLast() instanceof Audio last && last.bytes().length + bytes.length <= frame) {
            unrouted.pollLast();
            byte[] joined = java.util.Arrays.copyOf(last.bytes(), last.bytes().length + bytes.length);
            System.arraycopy(bytes, 0, joined, last.bytes().length, bytes.length);
            unroutedBytes += bytes.length;
            unrouted.add(new Audio(joined));
            pump();
            return;
        }
        for (int off = 0; off < bytes.length; off += frame) {
            int len = Math.min(frame, bytes.length - off);
            byte[] part = off == 0 && len == bytes.length ? bytes : java.util.Arrays.copyOfRange(bytes, off, off + len);
            unroutedBytes += part.length;
            unrouted.add(new Audio(part));
        }
        pump();
    }

    /** A commit or clear, in order with the audio before it: at once when the recognizer has had that audio. */
    private void hold(Pending mark) {
        unrouted.add(mark);
        pump();
    }

    /**
     * Passes what is waiting on to the recognizer while it keeps up, commits and clears as they come;
     * then, while audio still waits, tries again every 20 ms, and stops reading the socket while more
     * than {@link #maxHeldMs} of audio waits. A pacing timer already running takes its turn instead.
     */
    private void pump() {
        if (pumpTimer < 0) {
            routeWaiting();
        }
        if (pumpTimer < 0 && !unrouted.isEmpty()) {
            pumpTimer = vertx.setPeriodic(20, id -> {
                if (phase == Phase.OPEN && !mustWait(4)) {
                    routeWaiting();
                }
                if (unrouted.isEmpty() || phase != Phase.OPEN) {
                    vertx.cancelTimer(id);
                    pumpTimer = -1;
                }
                readSocketWhileRoom();
            });
        }
        readSocketWhileRoom();
    }

    private void readSocketWhileRoom() {
        long heldMs = phase == Phase.OPEN ? session.settings().format().millisOf(unroutedBytes) : 0;
        if (!socketPaused && heldMs > maxHeldMs) {
            socketPaused = true;
            ws.pause();
        } else if (socketPaused && heldMs <= maxHeldMs / 2) {
            socketPaused = false;
            if (!ws.isClosed()) {
                ws.resume();
            }
        }
    }

    private void routeWaiting() {
        while (phase == Phase.OPEN && !unrouted.isEmpty()) {
            Pending next = unrouted.peek();
            if (next instanceof Audio audio) {
                if (mustWait(2)) {
                    return;
                }
                unrouted.poll();
                unroutedBytes -= audio.bytes().length;
                route(audio.bytes());
            } else {
                unrouted.poll();
                if (next instanceof CommitMark commit) {
                    reach(commit);
                } else {
                    reach((ClearMark) next);
                }
            }
        }
        if (clientGone && unrouted.isEmpty() && phase == Phase.OPEN) {
            endAsClientClosed();
        }
    }

    /**
     * True while the client's audio is a burst to take at the pace of real time: more than
     * 1/{@code fraction} of its bound ahead of real time or, once it has sent faster than speech (a
     * file), while the recognizer is more than 1/{@code fraction} of its queue behind (until it catches
     * up). A client sending at the pace of speech is never held back (its commits would wait behind its
     * audio): if the recognizer falls behind it, the channel drops audio and the client gets an
     * {@code error} {@code overloaded}, as on {@code /v1/listen}.
     */
    private boolean mustWait(int fraction) {
        long ahead = channel.aheadMillis();
        long queued = channel.queuedMillis();
        long maxQueued = sessions.limits().maxQueuedAudio().toMillis();
        if (ahead > BURST_MS) {
            fasterThanSpeech = true;
        } else if (queued < maxQueued / 4) {
            fasterThanSpeech = false;
        }
        return ahead > sessions.limits().maxAhead().toMillis() / fraction || fasterThanSpeech && queued > maxQueued / fraction;
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
            consumer.deliverFor(ParleyHeaders.FOR_RECOGNIZER, session, CHANNEL, frame, null);
            heard(frame);
        }
    }

    /** Audio the archive will have once the client can no longer clear it. */
    private void heard(byte[] frame) {
        unarchived.add(frame);
        unarchivedBytes += frame.length;
        long bound = session.settings().format().bytesFor(MAX_UNARCHIVED_MS);
        if (unarchivedBytes > bound) {
            archiveUpTo(archivedBytes + unarchivedBytes - bound);
        }
    }

    /** Archives the audio heard up to {@code bytes} of the session's audio (in whole samples). */
    private void archiveUpTo(long bytes) {
        int sample = session.settings().format().encoding().bytesPerSample();
        while (archivedBytes < bytes && !unarchived.isEmpty()) {
            byte[] frame = unarchived.poll();
            long room = (bytes - archivedBytes) / sample * sample;
            if (room <= 0) {
                unarchived.addFirst(frame);
                return;
            }
            if (frame.length > room) {
                unarchived.addFirst(java.util.Arrays.copyOfRange(frame, (int) room, frame.length));
                frame = java.util.Arrays.copyOf(frame, (int) room);
            }
            unarchivedBytes -= frame.length;
            archivedBytes += frame.length;
            consumer.deliverFor(ParleyHeaders.FOR_ARCHIVE, session, CHANNEL, frame, null);
        }
    }

    /** Heard audio the archive has not had: archived, or, when no final will judge it, archived as silence. */
    private long settleUnarchived(boolean asSilence) {
        if (!asSilence) {
            archiveUpTo(Long.MAX_VALUE);
            return 0;
        }
        long silenced = unarchivedBytes;
        withdrawUnarchived();
        return silenced;
    }

    /** The client cleared the buffer: what the archive has not had of it, it gets as silence (times stay the call's). */
    private void withdrawUnarchived() {
        if (unarchivedBytes > 0) {
            consumer.deliverFor(ParleyHeaders.FOR_ARCHIVE, session, CHANNEL, new byte[0], unarchivedBytes);
            archivedBytes += unarchivedBytes;
            unarchived.clear();
            unarchivedBytes = 0;
        }
    }

    /**
     * The client closed. What it sent before is still recognised: while audio waits for the
     * recognizer, the session goes on without it, and ends once the recognizer has had it all.
     */
    private void onClosed() {
        cancel(idleTimer);
        if (phase == Phase.OPEN && !unrouted.isEmpty()) {
            clientGone = true;
            return;
        }
        cancel(pumpTimer);
        endAsClientClosed();
    }

    private void endAsClientClosed() {
        Phase was = phase;
        phase = Phase.ENDED;
        if (session != null && was != Phase.ENDED) {
            // What the client sent and did not clear; with audio redaction, uncommitted audio as silence,
            // as no final will judge it.
            settleUnarchived(sessions.redaction().redactsAudio() && !config.vad());
            session.end("client_closed", 1000);
        }
    }

    /**
     * Parley ends the session (idle timeout, maximum duration, shutdown, capacity): it takes no audio
     * after this. What the client sent and did not clear reaches the archive now: the audio the
     * recognizer has had, and the audio still waiting for it, which is archived without being
     * recognised. A commit still waiting reaches the channel, so its item completes with what was
     * recognised of it. Called on the thread that ends the session; runs on the event loop.
     */
    @Override
    public void ending() {
        if (Thread.currentThread() == loop) {
            handOver();
            return;
        }
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        ctx.runOnContext(v -> {
            try {
                handOver();
            } finally {
                done.complete(null);
            }
        });
        try {
            done.get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warn("A /v1/realtime connection did not hand over the audio it held in time");
        }
    }

    private void handOver() {
        if (phase != Phase.OPEN) {
            return;
        }
        // With audio redaction, audio no final will judge reaches audio.wav as silence: what waits for
        // the recognizer, and, without turn detection, what was not committed.
        boolean unjudged = sessions.redaction().redactsAudio();
        boolean silenceUncommitted = unjudged && !config.vad();
        long silenced = 0;
        for (Pending next : unrouted) {
            if (next instanceof Audio audio && unjudged) {
                silenced += settleUnarchived(silenceUncommitted);
                consumer.deliverFor(ParleyHeaders.FOR_ARCHIVE, session, CHANNEL, new byte[0], (long) audio.bytes().length);
                archivedBytes += audio.bytes().length;
                silenced += audio.bytes().length;
            } else if (next instanceof Audio audio) {
                heard(audio.bytes());
            } else if (next instanceof CommitMark commit) {
                reach(commit);
            } else {
                reach((ClearMark) next);
            }
        }
        unrouted.clear();
        unroutedBytes = 0;
        silenced += settleUnarchived(silenceUncommitted);
        if (silenced > 0) {
            LOG.info("Session {} ended with {} ms of /v1/realtime audio no final judged: archived as silence, as audio"
                    + " redaction is on", session.id(), session.settings().format().millisOf(silenced));
        }
        phase = Phase.ENDED; // nothing the client sends from now on is taken
    }

    // ---- ClientConnection: the session's own events ----

    /**
     * Of Parley's events errors have a place in this protocol, and, with redaction on, the transcripts:
     * their text is what the client is given. Otherwise results come through the tap.
     */
    @Override
    public void send(SessionEvent event) {
        if (redactor != null && CHANNEL.equals(event.channel()) && event.itemId() != null) {
            if ("transcript.partial".equals(event.type())) {
                ctx.runOnContext(v -> onRedactedPartial(event.itemId(), event.text()));
                return;
            }
            if ("transcript.final".equals(event.type())) {
                ctx.runOnContext(v -> onRedactedFinal(event.itemId(), event.text(), event.startMs(), event.endMs()));
                return;
            }
        }
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

    // The tap hears each result just before the session does: the item id is asked for here, on the
    // worker, while the session still holds it.

    @Override
    public void speechStarted(RecognitionChannel ch, int utterance, long atMs) {
        if (config.vad()) {
            String id = session.itemId(ch, utterance);
            post(() -> onSpeechStarted(utterance, id, atMs));
        }
    }

    @Override
    public void speechStopped(RecognitionChannel ch, int utterance, long atMs) {
        if (config.vad()) {
            String id = session.itemId(ch, utterance);
            post(() -> onSpeechStopped(utterance, id, atMs));
        }
    }

    @Override
    public void partial(RecognitionChannel ch, int utterance, String text) {
        String id = session.itemId(ch, utterance);
        post(() -> onPartial(utterance, id, text));
    }

    @Override
    public void complete(RecognitionChannel ch, int utterance, String text, long startMs, long endMs) {
        String id = session.itemId(ch, utterance);
        post(() -> onComplete(utterance, id, text, startMs, endMs));
    }

    @Override
    public void noResult(RecognitionChannel ch, int utterance) {
        post(() -> onNoResult(utterance));
    }

    @Override
    public void committed(RecognitionChannel ch) {
        post(() -> onCommitted());
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

    private void post(Runnable result) {
        results.add(result);
        ctx.runOnContext(v -> handleResults());
    }

    private void handleResults() {
        Runnable next;
        while ((next = results.poll()) != null) {
            next.run();
        }
    }

    private void onSpeechStarted(int utterance, String id, long atMs) {
        announce(byUtterance.computeIfAbsent(utterance, u -> new Item(id)), atMs);
    }

    private void onSpeechStopped(int utterance, String id, long atMs) {
        Item item = byUtterance.computeIfAbsent(utterance, u -> new Item(id));
        announce(item, atMs);
        stop(item, atMs); // (not for an item the client committed)
        committedToMs = Math.max(committedToMs, atMs);
        if (phase == Phase.OPEN) {
            archiveUpTo(session.settings().format().bytesFor(atMs)); // committed by the VAD: the client cannot clear it now
        }
    }

    /** Text as the words become stable: live while spoken with turn detection, from the commit without it. */
    private void onPartial(int utterance, String id, String text) {
        Item item = byUtterance.computeIfAbsent(utterance, u -> new Item(id));
        if (redactor != null) {
            return; // its text comes redacted, as the session's partial
        }
        item.latest = text;
        if (config.vad() ? item.announced : item.committed) {
            extend(item, text);
        }
    }

    private void onComplete(int utterance, String id, String text, long startMs, long endMs) {
        Item item = byUtterance.remove(utterance);
        if (item == null) {
            item = new Item(id);
        }
        if (config.vad()) {
            announce(item, startMs);
            stop(item, endMs);
        }
        if (redactor != null) {
            item.awaitingRedacted = true;
            unjudged.put(item.id, item);
            return;
        }
        extend(item, text);
        complete(item, ServerEvents.completed(item.id, text, Math.max(0, endMs - startMs) / 1000.0));
    }

    /** A redacted partial: what of it redaction can no longer change is given. */
    private void onRedactedPartial(String id, String text) {
        Item item = byUtterance.values().stream().filter(i -> i.id.equals(id)).findFirst().orElse(null);
        if (item == null || text == null) {
            return;
        }
        item.latest = text.substring(0, redactor.settledLength(text));
        if (config.vad() ? item.announced : item.committed) {
            extend(item, item.latest);
        }
    }

    /** The item's final as the archive and the webhooks have it: its last delta, then its {@code completed}. */
    private void onRedactedFinal(String id, String text, Long startMs, Long endMs) {
        Item item = unjudged.remove(id);
        if (item == null) {
            return;
        }
        item.awaitingRedacted = false;
        extend(item, text);
        double seconds = startMs == null || endMs == null ? 0 : Math.max(0, endMs - startMs) / 1000.0;
        complete(item, ServerEvents.completed(item.id, text, seconds));
    }

    private void onNoResult(int utterance) {
        Item item = byUtterance.remove(utterance);
        if (item != null && item.committed) {
            complete(item, ServerEvents.completed(item.id, "", item.endMs > item.startMs ? (item.endMs - item.startMs) / 1000.0 : 0));
        }
    }

    /** Sends an item's {@code completed}, or holds it until the recognizer reaches the client's commit of it. */
    private void complete(Item item, ObjectNode completed) {
        if (item.awaitingCommit) {
            item.completion = completed;
        } else {
            send(completed);
        }
    }

    /**
     * The recognizer reached a client's commit, which was acknowledged when it came: everything before
     * it is recognised, so the committed item's transcript is complete (the final of the utterance it
     * ended, held till now, or an empty one for an item committed in silence), and it comes after
     * every item that audio held.
     */
    private void onCommitted() {
        Commit commit = commits.poll();
        if (commit == null) {
            return;
        }
        Item item = commit.item();
        item.awaitingCommit = false;
        if (item.completion != null) {
            send(item.completion);
        } else if (!item.awaitingRedacted) { // (if it is, its completed follows its redacted final)
            // nothing recognised for it (or not yet: it is the recognizer's, then, and its text so far is all)
            byUtterance.values().remove(item);
            send(ServerEvents.completed(item.id, item.sent, 0));
        }
        committedToMs = Math.max(committedToMs, commit.atMs());
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
        send(ServerEvents.itemDone(item.id, previousItemId));
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
