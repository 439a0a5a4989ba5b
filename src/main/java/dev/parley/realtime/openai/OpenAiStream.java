package dev.parley.realtime.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.Config;
import dev.parley.audio.G711;
import dev.parley.audio.Pcm16;
import dev.parley.realtime.Confidence;
import dev.parley.realtime.RecognitionListener;
import dev.parley.realtime.RecognitionStream;
import io.vertx.core.Context;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One channel streaming to the GA Realtime transcription service over its own WebSocket.
 *
 * <p>The stream's timeline counts samples in the order {@link #accept} took them. Every connection
 * has its own timeline (the service's {@code audio_start_ms}/{@code audio_end_ms} count from the
 * first sample sent on it); a map from connection samples to stream samples turns them into stream
 * offsets, across reconnections and audio dropped while the service was unreachable.
 *
 * <p>Utterance numbers are Parley's, not the service's item ids: the next number goes to each new
 * item, in the order the service reports them. When a connection drops, items the service had not
 * finished lose their transcription with it; the audio since the last point the service had
 * transcribed is kept (up to {@code max-buffered-audio-ms}) and sent again on the next connection,
 * and the items found in it take over the unfinished numbers, so Parley's item ids and offsets stay
 * stable and increasing. Audio that arrives while the connection is down is kept up to the same
 * bound and sent once it is back; beyond the bound it is dropped, and an {@code error} says how much.
 *
 * <p>A wrong key or model ends the stream's recognition with one clear {@code error}: it is not
 * retried. Any other failure to connect is retried with exponential backoff and jitter.
 *
 * <p>Threads: {@link #accept} runs on the channel's worker and only converts and batches audio;
 * everything else runs on the stream's own event-loop context, so the state below needs no lock.
 */
final class OpenAiStream implements RecognitionStream {

    private static final Logger LOG = LoggerFactory.getLogger(OpenAiStream.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Audio per {@code input_audio_buffer.append}. */
    private static final int CHUNK_MS = 100;
    /** The service refuses to commit less. */
    private static final int MIN_COMMIT_MS = 100;
    private static final String ERROR = "recognizer_failed";

    private final OpenAiRecognizer owner;
    private final OpenAiRecognizerSettings settings;
    private final WebSocketClient client;
    private final Context ctx;
    private final URI uri;
    private final String language;
    private final boolean mulaw;
    private final int rate;
    private final RecognitionListener listener;
    private final int chunkBytes;
    private final long maxBuffered;
    private final AtomicBoolean closeCalled = new AtomicBoolean();

    // The feeding thread's batch (calls to accept never overlap).
    private final ByteArrayOutputStream batch = new ByteArrayOutputStream();

    // ---- from here on: the stream's context only ----

    private enum State { CONNECTING, OPEN, WAITING, FAILED, CLOSED }

    private State state = State.CONNECTING;
    private WebSocket ws;
    private int generation;
    private int failedAttempts;
    private long reconnectTimer = -1;
    private boolean everOpened;
    private boolean startFailureReported;
    private long outageStartNanos;

    /** Samples taken so far: the stream's timeline. */
    private long fed;
    /** Audio not yet sent on the current connection, oldest first. */
    private final ArrayDeque<Chunk> unsent = new ArrayDeque<>();
    private long unsentSamples;
    /** Audio sent on the current connection that the service has not transcribed yet, kept for a resend. */
    private final ArrayDeque<Chunk> kept = new ArrayDeque<>();
    private long keptSamples;
    /** Stream sample up to which audio has been sent (the end of the last chunk sent). */
    private long sentTo;
    private long droppedSamples;
    private long droppedReported;
    private boolean droppingReported;

    // The current connection.
    private long connSent;
    /** Connection sample where a run of contiguous stream audio begins, to (stream - connection) samples. */
    private final TreeMap<Long, Long> connToStream = new TreeMap<>();
    private String updateEventId;
    /** Connection sample up to which the service has committed the buffer. */
    private long committedConn;
    /** Our own commits not yet acknowledged by {@code committed}: the connection sample of each. */
    private final ArrayDeque<Long> commitPoints = new ArrayDeque<>();
    private final Map<String, Item> items = new LinkedHashMap<>();
    private final Map<String, CompletableFuture<Void>> commitWaiters = new HashMap<>();
    private final ArrayDeque<CompletableFuture<Void>> unassignedCommitWaiters = new ArrayDeque<>();

    // Across connections.
    private int nextNumber;
    /** Numbers of items a lost connection left unfinished, for the items found in the resent audio. */
    private final TreeSet<Integer> orphans = new TreeSet<>();
    /** Items starting before this stream sample (the end of the audio resent) may take an orphan's number. */
    private long orphanHorizon;
    /** End (stream sample) of the latest item finished. */
    private long doneTo;
    /** Stream sample before which audio was cleared: never resent. */
    private long clearedTo;
    private long lastEndMs;

    // End of input.
    private CompletableFuture<Void> flushed;
    private String flushCommitId;
    private boolean flushCommitPending;
    private long finishTimer = -1;

    /** An item of the service's, under a Parley utterance number. */
    private static final class Item {
        final String id;
        final int number;
        long start = -1;  // stream samples
        long end = -1;
        final StringBuilder text = new StringBuilder();
        boolean announced;
        boolean stopped;
        boolean committed;
        boolean done;

        Item(String id, int number) {
            this.id = id;
            this.number = number;
        }
    }

    /** Audio in the wire encoding, from stream sample {@code start}. */
    private record Chunk(long start, byte[] bytes, int samples) {
        long end() {
            return start + samples;
        }
    }

    OpenAiStream(OpenAiRecognizer owner, OpenAiRecognizerSettings settings, WebSocketClient client, Context ctx,
                 String language, boolean mulaw, RecognitionListener listener) {
        this.owner = owner;
        this.settings = settings;
        this.client = client;
        this.ctx = ctx;
        this.uri = settings.realtimeUri();
        this.language = language == null ? "" : language;
        this.mulaw = mulaw;
        this.rate = mulaw ? OpenAiRecognizer.TELEPHONY_RATE : OpenAiRecognizer.PCM_RATE;
        this.listener = listener;
        this.chunkBytes = rate * CHUNK_MS / 1000 * (mulaw ? 1 : 2);
        this.maxBuffered = settings.maxBufferedAudio().toMillis() * rate / 1000;
    }

    void start() {
        ctx.runOnContext(v -> connect());
    }

    // ---- the feeding thread ----

    @Override
    public void accept(short[] samples, int length) {
        if (length < 0 || length > samples.length) {
            throw new IllegalArgumentException("length " + length + " outside 0.." + samples.length);
        }
        if (closeCalled.get()) {
            throw new IllegalStateException("The stream is closed");
        }
        if (length == 0) {
            return;
        }
        byte[] wire = mulaw ? G711.encode(samples, 0, length) : Pcm16.shortsToLittleEndian(samples, 0, length);
        batch.write(wire, 0, wire.length);
        if (batch.size() >= chunkBytes) {
            post(takeBatch());
        }
    }

    @Override
    public void flush() {
        flushAsync().toCompletableFuture().join();
    }

    @Override
    public CompletionStage<Void> flushAsync() {
        byte[] rest = takeBatch();
        CompletableFuture<Void> done = new CompletableFuture<>();
        ctx.runOnContext(v -> {
            if (rest.length > 0) {
                onAudio(rest);
            }
            beginFinish(done);
        });
        return done;
    }

    @Override
    public CompletionStage<Void> commit() {
        byte[] rest = takeBatch();
        CompletableFuture<Void> done = new CompletableFuture<>();
        ctx.runOnContext(v -> {
            if (rest.length > 0) {
                onAudio(rest);
            }
            commitNow(done);
        });
        return done;
    }

    @Override
    public void clear() {
        takeBatch();
        ctx.runOnContext(v -> clearNow());
    }

    @Override
    public void close() {
        if (closeCalled.compareAndSet(false, true)) {
            owner.release();
            ctx.runOnContext(v -> closeNow());
        }
    }

    private byte[] takeBatch() {
        byte[] bytes = batch.toByteArray();
        batch.reset();
        return bytes;
    }

    private void post(byte[] bytes) {
        ctx.runOnContext(v -> onAudio(bytes));
    }

    // ---- connection ----

    private void connect() {
        if (state == State.CLOSED || state == State.FAILED) {
            return;
        }
        state = State.CONNECTING;
        int attempt = ++generation;
        boolean secure = "wss".equals(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : secure ? 443 : 80;
        WebSocketConnectOptions options = new WebSocketConnectOptions()
                .setHost(uri.getHost())
                .setPort(port)
                .setSsl(secure)
                .setURI(uri.getRawPath() + "?" + uri.getRawQuery())
                .setTimeout(settings.connectTimeout().toMillis())
                .addHeader("Authorization", "Bearer " + settings.apiKey());
        client.connect(options).onComplete(result -> {
            if (attempt != generation || state != State.CONNECTING) {
                if (result.succeeded()) {
                    result.result().close();
                }
                return;
            }
            if (result.succeeded()) {
                opened(result.result(), attempt);
            } else {
                connectFailed(result.cause());
            }
        });
    }

    private void opened(WebSocket socket, int attempt) {
        ws = socket;
        state = State.OPEN;
        socket.textMessageHandler(text -> {
            if (attempt == generation && state == State.OPEN) {
                onMessage(text);
            }
        });
        socket.closeHandler(v -> disconnected(attempt, "closed by the server"
                + (socket.closeStatusCode() == null ? "" : " with code " + socket.closeStatusCode()
                + (socket.closeReason() == null || socket.closeReason().isEmpty() ? "" : " (" + socket.closeReason() + ")"))));
        socket.exceptionHandler(e -> disconnected(attempt, e.toString()));

        connSent = 0;
        committedConn = 0;
        connToStream.clear();
        commitPoints.clear();
        items.clear();
        flushCommitId = null;
        flushCommitPending = false;
        updateEventId = "parley_session_" + attempt;
        send(sessionUpdate(updateEventId));

        if (everOpened) {
            long downMs = (System.nanoTime() - outageStartNanos) / 1_000_000;
            long dropped = droppedSamples - droppedReported;
            LOG.info("Reconnected to {} after {} ms; resending {} ms of audio", uri, downMs, ms(keptSamples + unsentSamples));
            if (dropped > 0) {
                droppedReported = droppedSamples;
                report("The connection to the OpenAI recognizer was down for " + downMs + " ms: " + ms(dropped)
                        + " ms of audio (" + bytes(dropped) + " bytes) beyond " + OpenAiRecognizerSettings.MAX_BUFFERED_AUDIO_MS
                        + " (" + settings.maxBufferedAudio().toMillis() + " ms) was dropped and is not transcribed; "
                        + "the rest was sent once it was back.");
            }
        }
        everOpened = true;
        droppingReported = false;
        // What the lost connection had not transcribed goes first, then what came meanwhile.
        while (!kept.isEmpty()) {
            Chunk c = kept.pollLast();
            keptSamples -= c.samples();
            unsent.addFirst(c);
            unsentSamples += c.samples();
        }
        pump();
        maybeFinish();
    }

    private void connectFailed(Throwable cause) {
        if (cause instanceof UpgradeRejectedException rejected) {
            int status = rejected.getStatus();
            if (status == 401 || status == 403) {
                fail("The OpenAI recognizer refused the API key (HTTP " + status + " from " + uri + "). Set "
                        + OpenAiRecognizerSettings.API_KEY + " (env " + Config.envName(OpenAiRecognizerSettings.API_KEY)
                        + ") or " + OpenAiRecognizerSettings.API_KEY_ENV + " to a valid key; nothing is transcribed on this channel.");
                return;
            }
            if (status == 404) {
                fail("There is no Realtime transcription endpoint at " + uri + " (HTTP 404): check "
                        + OpenAiRecognizerSettings.BASE_URL + "; nothing is transcribed on this channel.");
                return;
            }
        }
        String reason = cause instanceof UpgradeRejectedException rejected
                ? "HTTP " + rejected.getStatus() : String.valueOf(cause.getMessage());
        LOG.warn("Could not connect to {}: {}", uri, reason);
        if (!everOpened && !startFailureReported) {
            startFailureReported = true;
            report("Cannot connect to the OpenAI recognizer at " + uri + " (" + reason + "). Retrying with backoff; "
                    + "up to " + settings.maxBufferedAudio().toMillis() + " ms of audio is kept meanwhile.");
        }
        if (outageStartNanos == 0) {
            outageStartNanos = System.nanoTime();
        }
        scheduleReconnect();
    }

    private void disconnected(int attempt, String reason) {
        if (attempt != generation || state != State.OPEN) {
            return;
        }
        LOG.warn("Lost the connection to {}: {}; reconnecting", uri, reason);
        trimKept();
        ws = null;
        state = State.WAITING;
        outageStartNanos = System.nanoTime();
        // Items not finished lose their transcription with the connection: their audio is resent.
        for (Item item : items.values()) {
            if (!item.done) {
                orphans.add(item.number);
            }
        }
        items.clear();
        orphanHorizon = sentTo;
        commitPoints.clear();
        commitWaiters.values().forEach(w -> w.complete(null));
        commitWaiters.clear();
        unassignedCommitWaiters.forEach(w -> w.complete(null));
        unassignedCommitWaiters.clear();
        flushCommitId = null;
        flushCommitPending = false;
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        state = State.WAITING;
        long base = settings.initialBackoff().toMillis() << Math.min(failedAttempts, 16);
        long delay = Math.min(settings.maxBackoff().toMillis(), base);
        delay = Math.max(1, (long) (delay * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble())));
        failedAttempts++;
        reconnectTimer = ctx.owner().setTimer(delay, id -> {
            reconnectTimer = -1;
            connect();
        });
        maybeFinish();
    }

    /** Gives up on this channel: one error, no retry; later audio is ignored. */
    private void fail(String message) {
        if (state == State.FAILED || state == State.CLOSED) {
            return;
        }
        LOG.warn("{}", message);
        state = State.FAILED;
        cancelTimer(reconnectTimer);
        if (ws != null) {
            ws.close((short) 1000, "parley gives up");
            ws = null;
        }
        unsent.clear();
        unsentSamples = 0;
        kept.clear();
        keptSamples = 0;
        report(message);
        endOpenItems();
        maybeFinish();
    }

    // ---- audio ----

    private void onAudio(byte[] bytes) {
        int samples = mulaw ? bytes.length : bytes.length / 2;
        Chunk chunk = new Chunk(fed, bytes, samples);
        fed += samples;
        if (state == State.FAILED || state == State.CLOSED) {
            return;
        }
        if (state == State.OPEN && unsent.isEmpty()) {
            send(chunk);
            return;
        }
        if (unsentSamples + samples > maxBuffered) {
            droppedSamples += samples;
            if (!droppingReported) {
                droppingReported = true;
                report("The OpenAI recognizer is unreachable and " + settings.maxBufferedAudio().toMillis()
                        + " ms of audio is waiting for it (" + OpenAiRecognizerSettings.MAX_BUFFERED_AUDIO_MS
                        + "): newer audio is dropped until the connection is back.");
            }
            return;
        }
        unsent.add(chunk);
        unsentSamples += samples;
        if (state == State.OPEN) {
            pump();
        }
    }

    private void pump() {
        while (state == State.OPEN && !unsent.isEmpty()) {
            Chunk c = unsent.poll();
            unsentSamples -= c.samples();
            send(c);
        }
    }

    private void send(Chunk c) {
        long delta = c.start() - connSent;
        Map.Entry<Long, Long> last = connToStream.lastEntry();
        if (last == null || last.getValue() != delta) {
            connToStream.put(connSent, delta);
        }
        send("{\"type\":\"input_audio_buffer.append\",\"audio\":\"" + Base64.getEncoder().encodeToString(c.bytes()) + "\"}");
        connSent += c.samples();
        sentTo = c.end();
        kept.add(c);
        keptSamples += c.samples();
        trimKept();
    }

    private void send(String text) {
        if (ws != null) {
            ws.writeTextMessage(text);
        }
    }

    /**
     * Forgets kept audio the service has transcribed, and the oldest beyond the bound. While the
     * connection is down what is kept waits for the next one: only a clear removes from it.
     */
    private void trimKept() {
        if (state != State.OPEN) {
            while (!kept.isEmpty() && (kept.peek().end() <= clearedTo || keptSamples > maxBuffered)) {
                keptSamples -= kept.poll().samples();
            }
            return;
        }
        long earliestOpen = Long.MAX_VALUE;
        for (Item item : items.values()) {
            if (!item.done && item.start >= 0) {
                earliestOpen = Math.min(earliestOpen, item.start);
            }
        }
        long padding = (long) settings.vadPrefixPaddingMs() * rate / 1000;
        long safe = Math.min(streamOf(committedConn), earliestOpen == Long.MAX_VALUE ? Long.MAX_VALUE : earliestOpen - padding);
        safe = Math.max(safe, Math.min(doneTo, earliestOpen));
        safe = Math.max(safe, clearedTo);
        while (!kept.isEmpty() && (kept.peek().end() <= safe || keptSamples > maxBuffered)) {
            keptSamples -= kept.poll().samples();
        }
    }

    // ---- manual turns, end of input ----

    private void commitNow(CompletableFuture<Void> done) {
        if (state != State.OPEN || connSent - committedConn < samplesOf(MIN_COMMIT_MS) && !speaking()) {
            done.complete(null); // nothing to commit, or the commit cannot be made now
            return;
        }
        String id = "parley_commit_" + generation + "_" + commitPoints.size() + "_" + connSent;
        commitPoints.add(connSent);
        unassignedCommitWaiters.add(done);
        send("{\"type\":\"input_audio_buffer.commit\",\"event_id\":\"" + id + "\"}");
    }

    private void clearNow() {
        clearedTo = fed;
        if (state == State.OPEN) {
            send("{\"type\":\"input_audio_buffer.clear\"}");
            committedConn = connSent;
        }
        unsent.clear();
        unsentSamples = 0;
        // An utterance in progress is discarded with the buffer.
        for (Item item : new ArrayList<>(items.values())) {
            if (!item.done && !item.committed && !item.stopped) {
                finish(item, null);
            }
        }
        trimKept();
    }

    private boolean speaking() {
        return items.values().stream().anyMatch(i -> i.announced && !i.stopped && !i.committed);
    }

    private void beginFinish(CompletableFuture<Void> done) {
        if (flushed != null) {
            flushed.whenComplete((v, e) -> done.complete(null));
            return;
        }
        flushed = done;
        finishTimer = ctx.owner().setTimer(settings.finishTimeout().toMillis(), id -> {
            finishTimer = -1;
            if (!flushed.isDone()) {
                long lost = unsentSamples;
                report("The OpenAI recognizer did not deliver the last transcripts within "
                        + settings.finishTimeout().toMillis() + " ms (" + OpenAiRecognizerSettings.FINISH_TIMEOUT_MS + ")"
                        + (lost > 0 ? "; " + ms(lost) + " ms of audio was never sent" : "") + ": they are missing.");
                completeFinish();
            }
        });
        maybeFinish();
    }

    /** Completes the end of input once every sample was sent, committed and transcribed. */
    private void maybeFinish() {
        if (flushed == null || flushed.isDone()) {
            return;
        }
        if (state == State.FAILED || state == State.CLOSED) {
            completeFinish();
            return;
        }
        if (state != State.OPEN || !unsent.isEmpty()) {
            return; // waiting for the connection
        }
        if (flushCommitId == null) {
            if (speaking() || connSent - committedConn >= samplesOf(MIN_COMMIT_MS)) {
                flushCommitId = "parley_flush_" + generation;
                flushCommitPending = true;
                commitPoints.add(connSent);
                send("{\"type\":\"input_audio_buffer.commit\",\"event_id\":\"" + flushCommitId + "\"}");
                return;
            }
            flushCommitId = "";
        }
        if (flushCommitPending || items.values().stream().anyMatch(i -> !i.done)) {
            return;
        }
        completeFinish();
    }

    private void completeFinish() {
        cancelTimer(finishTimer);
        finishTimer = -1;
        long dropped = droppedSamples - droppedReported;
        if (dropped > 0) {
            droppedReported = droppedSamples;
            report(ms(dropped) + " ms of audio (" + bytes(dropped) + " bytes) could not be sent to the OpenAI recognizer ("
                    + OpenAiRecognizerSettings.MAX_BUFFERED_AUDIO_MS + " is " + settings.maxBufferedAudio().toMillis()
                    + " ms) and is not transcribed.");
        }
        endOpenItems();
        // Done with the service: a close from here on is no reason to reconnect.
        generation++;
        cancelTimer(reconnectTimer);
        if (ws != null) {
            ws.close((short) 1000, "end of input");
            ws = null;
        }
        state = State.CLOSED;
        flushed.complete(null);
    }

    /** Items that will get no transcript: every number announced gets its end. */
    private void endOpenItems() {
        for (Item item : new ArrayList<>(items.values())) {
            if (!item.done) {
                finish(item, null);
            }
        }
        drainOrphans();
    }

    private void closeNow() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        cancelTimer(reconnectTimer);
        cancelTimer(finishTimer);
        if (ws != null) {
            ws.close((short) 1000, "closed");
            ws = null;
        }
        if (flushed != null && !flushed.isDone()) {
            flushed.complete(null);
        }
        commitWaiters.values().forEach(w -> w.complete(null));
        unassignedCommitWaiters.forEach(w -> w.complete(null));
        unsent.clear();
        kept.clear();
    }

    // ---- the service's events ----

    private void onMessage(String text) {
        JsonNode event;
        try {
            event = JSON.readTree(text);
        } catch (Exception e) {
            LOG.debug("Ignoring a message from {} that is not JSON", uri);
            return;
        }
        String type = event.path("type").asText("");
        try {
            switch (type) {
                case "session.created" -> LOG.debug("Session created at {}", uri);
                case "session.updated" -> failedAttempts = 0;
                case "input_audio_buffer.speech_started" -> speechStarted(event);
                case "input_audio_buffer.speech_stopped" -> speechStopped(event);
                case "input_audio_buffer.committed" -> committed(event);
                case "conversation.item.input_audio_transcription.delta" -> delta(event);
                case "conversation.item.input_audio_transcription.completed" -> {
                    Item item = item(event.path("item_id").asText(), sentTo);
                    finish(item, event.path("transcript").asText(""), confidence(event.path("logprobs")));
                }
                case "conversation.item.input_audio_transcription.failed" -> transcriptionFailed(event);
                case "error" -> error(event.path("error"));
                default -> LOG.trace("Ignoring {} from {}", type, uri);
            }
        } catch (RuntimeException e) {
            LOG.warn("Could not handle {} from {}", type, uri, e);
        }
        trimKept();
        maybeFinish();
    }

    private void speechStarted(JsonNode event) {
        long start = streamOf(connSamples(event.path("audio_start_ms").asLong(0)));
        Item item = item(event.path("item_id").asText(), start);
        item.start = start;
        announce(item);
    }

    private void speechStopped(JsonNode event) {
        long endConn = connSamples(event.path("audio_end_ms").asLong(0));
        Item item = item(event.path("item_id").asText(), streamOf(endConn));
        item.end = streamOf(endConn);
        item.stopped = true;
        committedConn = Math.max(committedConn, endConn);
        announce(item);
        call(() -> listener.speechStopped(item.number, ms(item.end)));
    }

    private void committed(JsonNode event) {
        Item item = item(event.path("item_id").asText(), streamOf(committedConn));
        item.committed = true;
        // A commit of ours answers with committed only; a service that also sends speech_stopped for
        // the speech a commit ended puts its end at the end of what was sent, where no VAD could.
        boolean ours = !commitPoints.isEmpty() && (!item.stopped
                || item.end >= 0 && item.end >= streamOf(commitPoints.peek()) - samplesOf(10));
        if (ours) {
            // One of our commits: the item holds the audio from the last commit to it.
            long point = commitPoints.poll();
            if (item.start < 0) {
                item.start = streamOf(committedConn);
            }
            if (!item.stopped) {
                item.end = streamOf(point);
            }
            committedConn = Math.max(committedConn, point);
            CompletableFuture<Void> waiter = unassignedCommitWaiters.poll();
            if (waiter != null) {
                commitWaiters.put(item.id, waiter);
            }
            if (flushCommitPending && commitPoints.isEmpty()) {
                flushCommitPending = false;
            }
        }
    }

    private void delta(JsonNode event) {
        Item item = item(event.path("item_id").asText(), sentTo);
        if (item.done) {
            return;
        }
        item.text.append(event.path("delta").asText(""));
        String soFar = item.text.toString().strip();
        if (!soFar.isEmpty()) {
            call(() -> listener.partial(item.number, soFar));
        }
    }

    private void transcriptionFailed(JsonNode event) {
        Item item = item(event.path("item_id").asText(), sentTo);
        JsonNode error = event.path("error");
        String where = item.start >= 0 && item.end >= 0
                ? " at " + seconds(item.start) + "-" + seconds(item.end) + " s" : "";
        report("The OpenAI recognizer could not transcribe an utterance" + where + describe(error) + ".");
        finish(item, null);
    }

    private void error(JsonNode error) {
        String code = error.path("code").asText("");
        String param = error.path("param").asText("");
        String eventId = error.path("event_id").asText("");
        if (param.equals("session.include")) {
            // A service without log probabilities (a model that has none, or Parley's own /v1/realtime):
            // the session goes on, and its finals carry no confidence rather than a made-up one.
            LOG.info("{} gives no log probabilities{}; finals from it carry no confidence", uri, describe(error));
            return;
        }
        if (!eventId.isEmpty() && eventId.equals(updateEventId) || param.startsWith("session")) {
            fail("The OpenAI recognizer refused the transcription session settings (model '" + settings.model() + "'"
                    + (language.isEmpty() ? "" : ", language '" + language + "'") + ")" + describe(error) + ". Check "
                    + OpenAiRecognizerSettings.MODEL + ", " + OpenAiRecognizerSettings.LANGUAGE + " and "
                    + OpenAiRecognizerSettings.TURN_DETECTION + "; nothing is transcribed on this channel.");
            return;
        }
        if (eventId.startsWith("parley_flush_") || eventId.startsWith("parley_commit_")
                || code.equals("input_audio_buffer_commit_empty")) {
            // A commit with too little audio: nothing was pending after all.
            LOG.debug("Commit refused by {}: {}", uri, error.path("message").asText());
            if (!commitPoints.isEmpty()) {
                commitPoints.pollLast();
            }
            CompletableFuture<Void> waiter = unassignedCommitWaiters.pollLast();
            if (waiter != null) {
                waiter.complete(null);
            }
            if (eventId.startsWith("parley_flush_") || commitPoints.isEmpty()) {
                flushCommitPending = false;
            }
            return;
        }
        report("The OpenAI recognizer reported an error" + describe(error) + ".");
    }

    /** The item of a service id, made (and numbered) on first sight; {@code start} guesses where it begins. */
    private Item item(String id, long start) {
        Item item = items.get(id);
        if (item != null) {
            return item;
        }
        int number;
        if (!orphans.isEmpty() && start < orphanHorizon) {
            number = orphans.pollFirst();
        } else {
            drainOrphans();
            number = nextNumber++;
        }
        nextNumber = Math.max(nextNumber, number + 1);
        item = new Item(id, number);
        items.put(id, item);
        return item;
    }

    private void announce(Item item) {
        if (!item.announced && item.start >= 0) {
            item.announced = true;
            long at = Math.max(ms(item.start), lastEndMs);
            call(() -> listener.speechStarted(item.number, at));
        }
    }

    /**
     * The model's confidence in a transcript: the geometric mean of its tokens' probabilities, from
     * the log probabilities {@code completed} carries when the session asked for them; none without.
     */
    static Confidence confidence(JsonNode logprobs) {
        double sum = 0;
        int n = 0;
        for (JsonNode token : logprobs) {
            if (token.path("logprob").isNumber()) {
                sum += Math.min(0, token.path("logprob").asDouble());
                n++;
            }
        }
        return n == 0 ? null : new Confidence(Math.exp(sum / n), java.util.List.of());
    }

    private void finish(Item item, String transcript) {
        finish(item, transcript, null);
    }

    /** The item's end: its final, or (no text, failed, lost) its noResult. */
    private void finish(Item item, String transcript, Confidence confidence) {
        if (item.done) {
            return;
        }
        item.done = true;
        items.remove(item.id);
        if (item.end >= 0) {
            doneTo = Math.max(doneTo, item.end);
        }
        String text = transcript == null ? "" : transcript.strip();
        if (text.isEmpty()) {
            call(() -> listener.noResult(item.number));
        } else {
            long startMs = Math.max(item.start >= 0 ? ms(item.start) : lastEndMs, lastEndMs);
            long endMs = Math.max(item.end >= 0 ? ms(item.end) : ms(sentTo), startMs + 1);
            lastEndMs = endMs;
            call(() -> listener.complete(item.number, text, startMs, endMs, confidence));
        }
        CompletableFuture<Void> waiter = commitWaiters.remove(item.id);
        if (waiter != null) {
            waiter.complete(null);
        }
    }

    private void drainOrphans() {
        while (!orphans.isEmpty()) {
            int n = orphans.pollFirst();
            call(() -> listener.noResult(n));
        }
    }

    // ---- helpers ----

    private String sessionUpdate(String eventId) {
        ObjectNode event = JSON.createObjectNode();
        event.put("type", "session.update");
        event.put("event_id", eventId);
        ObjectNode session = event.putObject("session");
        session.put("type", "transcription");
        session.putArray("include").add("item.input_audio_transcription.logprobs");   // the finals' confidence
        ObjectNode input = session.putObject("audio").putObject("input");
        ObjectNode format = input.putObject("format");
        if (mulaw) {
            format.put("type", "audio/pcmu");
        } else {
            format.put("type", "audio/pcm");
            format.put("rate", OpenAiRecognizer.PCM_RATE);
        }
        ObjectNode transcription = input.putObject("transcription");
        transcription.put("model", settings.model());
        if (!language.isEmpty()) {
            transcription.put("language", language);
        }
        if (!settings.prompt().isEmpty()) {
            transcription.put("prompt", settings.prompt());
        }
        switch (settings.turnDetection()) {
            case "none" -> input.putNull("turn_detection");
            case "semantic_vad" -> input.putObject("turn_detection").put("type", "semantic_vad")
                    .put("eagerness", settings.vadEagerness());
            default -> input.putObject("turn_detection").put("type", "server_vad")
                    .put("threshold", settings.vadThreshold())
                    .put("prefix_padding_ms", settings.vadPrefixPaddingMs())
                    .put("silence_duration_ms", settings.vadSilenceMs());
        }
        if (settings.noiseReduction() != null) {
            input.putObject("noise_reduction").put("type", settings.noiseReduction());
        }
        return event.toString();
    }

    /** A stream sample for a sample of the current connection. */
    private long streamOf(long connSample) {
        Map.Entry<Long, Long> run = connToStream.floorEntry(connSample);
        if (run == null) {
            run = connToStream.firstEntry();
        }
        long stream = connSample + (run == null ? sentTo - connSent : run.getValue());
        return Math.max(0, Math.min(stream, fed));
    }

    private long connSamples(long ms) {
        return Math.min(ms * rate / 1000, connSent);
    }

    private long samplesOf(long ms) {
        return ms * rate / 1000;
    }

    private long ms(long samples) {
        return samples * 1000 / rate;
    }

    private long bytes(long samples) {
        return mulaw ? samples : samples * 2;
    }

    private String seconds(long samples) {
        return String.format(java.util.Locale.ROOT, "%.2f", samples / (double) rate);
    }

    private static String describe(JsonNode error) {
        String code = error.path("code").asText("");
        String message = error.path("message").asText("").strip().replaceAll("\\.+$", "");
        return (code.isEmpty() ? "" : " (" + code + ")") + (message.isEmpty() ? "" : ": " + message);
    }

    private void report(String message) {
        call(() -> listener.error(ERROR, message));
    }

    private void call(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            LOG.warn("A recognition listener failed", e);
        }
    }

    private void cancelTimer(long id) {
        if (id >= 0) {
            ctx.owner().cancelTimer(id);
        }
    }
}
