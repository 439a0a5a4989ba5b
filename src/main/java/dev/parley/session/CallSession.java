package dev.parley.session;

import dev.parley.realtime.ChannelListener;
import dev.parley.realtime.ChannelStats;
import dev.parley.realtime.Confidence;
import dev.parley.realtime.RecognitionChannel;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One call or one person speaking: its channels on their way through the recognizer, and the
 * ordered stream of events it emits. Every event of a session gets the next {@code seq} and goes
 * to the event routes in that order.
 *
 * <p>Events may start work that finishes later (a translation, speech): the session counts the
 * events still being routed, and emits {@code session.closed} only once its channels have finished
 * and none is left, so that it is always the last event.
 */
public final class CallSession implements ChannelListener {

    /** Where a session is in its life. */
    public enum State { OPEN, ENDING, CLOSED }

    private final String id;
    private final SessionSettings settings;
    private final String recognizer;
    private final boolean trusted;
    /** One of the warm-up's sessions (SessionRegistry#openRehearsal): set before its first event. */
    boolean rehearsal;
    /** The client until the session is closed; then none, see {@link #closeIfDone()}. */
    private volatile ClientConnection client;
    private final SessionRegistry registry;
    private final Instant startedAt;
    /** Replaced, never changed, as channels are added: read from any thread (the sweeper's too). */
    private volatile Map<String, RecognitionChannel> channels = Map.of();
    private final SerialExecutor outbox;
    private final RedactedTranscripts redaction;

    private long seq;
    private int itemCount;
    private final Map<String, String> openItems = new HashMap<>();
    /** Word times of finals about to be delivered, by channel and utterance: for audio redaction. */
    private final Map<String, java.util.List<dev.parley.realtime.WordTime>> wordTimes = new java.util.concurrent.ConcurrentHashMap<>();
    /** Channels whose speaker is in the middle of an utterance (the recognizer heard it start, not end). */
    private final java.util.Set<String> speaking = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile State state = State.OPEN;
    private volatile long lastActivityNanos = System.nanoTime();
    private volatile Instant endedAt;
    private volatile Map<String, String> metadata;
    private String endReason;
    private int closeCode = 1000;
    private boolean closing;
    private int eventsInFlight;
    private final boolean leftOpen;

    /** The client of a closed session, or of one a crash left open: nobody to tell. */
    private static final ClientConnection GONE = new ClientConnection() {
        @Override
        public void send(SessionEvent event) {
        }

        @Override
        public void close(int code, String reason) {
        }
    };

    CallSession(String id, SessionSettings settings, String recognizer, boolean trusted, ClientConnection client,
                SessionRegistry registry) {
        this(id, settings, recognizer, trusted, client, registry, Instant.now(), 0, false);
    }

    /**
     * A session that a crash of an earlier Parley left open, rebuilt from its archive only to be
     * closed ({@link #closeLeftOpen}): no channels, no client, its events numbered on from {@code lastSeq}.
     */
    CallSession(String id, SessionSettings settings, String recognizer, SessionRegistry registry, Instant startedAt,
                long lastSeq) {
        this(id, settings, recognizer, true, GONE, registry, startedAt, lastSeq, true);
    }

    private CallSession(String id, SessionSettings settings, String recognizer, boolean trusted, ClientConnection client,
                        SessionRegistry registry, Instant startedAt, long lastSeq, boolean leftOpen) {
        this.id = id;
        this.startedAt = startedAt;
        this.seq = lastSeq;
        this.leftOpen = leftOpen;
        this.settings = settings;
        this.recognizer = recognizer;
        this.trusted = trusted;
        this.client = client;
        this.registry = registry;
        this.metadata = settings.metadata();
        this.outbox = new SerialExecutor(registry.eventThreads());
        this.redaction = new RedactedTranscripts(registry.redaction(), this::emit);
    }

    public String id() { return id; }

    public SessionSettings settings() { return settings; }

    public ClientConnection client() { return client; }

    /** Opened with an API key, or by a telephony platform, rather than with a token. */
    public boolean trusted() { return trusted; }

    /** A rehearsal of the warm-up, not a caller's: see {@link SessionRegistry#openRehearsal}. */
    public boolean rehearsal() { return rehearsal; }

    public State state() { return state; }

    public Instant startedAt() { return startedAt; }

    public Instant endedAt() { return endedAt; }

    /** True for a session a crash left open, rebuilt at the next start to be closed. */
    public boolean leftOpen() { return leftOpen; }

    public Collection<RecognitionChannel> channels() { return channels.values(); }

    /** Caller metadata: what the session was opened with, and what streams that joined it added. */
    public Map<String, String> metadata() { return metadata; }

    void addChannel(RecognitionChannel channel) {
        synchronized (this) {
            Map<String, RecognitionChannel> more = new LinkedHashMap<>(channels);
            more.put(channel.name(), channel);
            channels = java.util.Collections.unmodifiableMap(more);
        }
    }

    /**
     * Stamps a draft with this session's identity and next {@code seq}, and hands it to the event
     * routes; a translation or a key pressed is redacted first (parley.redaction.*).
     */
    public void emit(SessionEvent.Draft draft) {
        emit(redaction.outgoing(draft), this::eventRouted);
    }

    /** The event as this session's own client may see it: unredacted only if the settings say so. */
    public SessionEvent forClient(SessionEvent event) {
        return event.unredacted();
    }

    private void emit(SessionEvent.Draft draft, Runnable whenRouted) {
        synchronized (this) {
            if (state == State.CLOSED || closing && !draft.type().equals("session.closed")) {
                return;
            }
            eventsInFlight++;
            SessionEvent event = new SessionEvent(draft, Ids.event(), id, ++seq, Instant.now());
            // Queued inside the lock, so events reach the routes in seq order, one at a time: the
            // next starts once the route's synchronous steps are done with the previous one.
            outbox.execute(() -> registry.deliver(this, event, whenRouted));
        }
    }

    private void eventRouted() {
        boolean idle;
        synchronized (this) {
            eventsInFlight--;
            idle = eventsInFlight == 0;
        }
        if (idle) {
            closeIfDone();
        }
    }

    /**
     * Takes one frame of a channel's audio, in arrival order. Returns false if it was not queued:
     * the session is ending, or the channel is too far behind and dropped it (it says so itself).
     */
    public boolean acceptAudio(String channel, byte[] frame) {
        lastActivityNanos = System.nanoTime();
        RecognitionChannel ch = channels.get(channel);
        if (ch == null) {
            return false;
        }
        double seconds = ch.format().secondsOf(frame.length);
        registry.meters().audioReceived(settings.ingest(), seconds);
        if (state == State.OPEN && ch.offer(frame)) {
            return true;
        }
        registry.meters().audioDropped(settings.ingest(),
                state != State.OPEN || ch.inputEnded() ? "session_ended" : "overloaded", seconds);
        return false;
    }

    /** Counts audio the ingest ignored before it reached {@link #acceptAudio} (not whole samples, say). */
    public void audioIgnored(String reason, double seconds) {
        registry.meters().audioDropped(settings.ingest(), reason, seconds);
    }

    /**
     * A stream joined the session (telephony: a call's second leg, carrying {@code channel}): the
     * session's metadata is now {@code metadata}, which a {@code session.joined} event carries.
     */
    public void joined(String channel, Map<String, String> metadata) {
        this.metadata = Map.copyOf(metadata);
        emit(SessionEvent.of("session.joined").channel(channel).field("metadata", this.metadata));
    }

    /**
     * Ends one channel's input while the session goes on (a call leg hung up): its last utterance is
     * recognised now rather than when the session ends.
     */
    public void endChannel(String channel) {
        RecognitionChannel ch = channels.get(channel);
        if (ch != null) {
            ch.endOfInput();
        }
    }

    /**
     * A sign of life from a client that sends no audio for a while on purpose (an AudioHook stream
     * while paused still pings): the session is not idle.
     */
    public void keepAlive() {
        lastActivityNanos = System.nanoTime();
    }

    /**
     * Moves timelines on over audio missing from the call (see {@link RecognitionChannel#skip}):
     * {@code channel}'s, or every channel's when it is null.
     */
    public void skipAudio(String channel, long bytes) {
        if (state == State.OPEN) {
            channels.forEach((name, ch) -> {
                if (channel == null || channel.equals(name)) {
                    ch.skip(bytes);
                }
            });
        }
    }

    /** Sends an {@code error} about the client's own input; the session goes on. */
    public void rejectInput(String code, String message) {
        emit(SessionEvent.of("error").field("code", code).field("message", message));
    }

    /**
     * Ends the session: no more audio is taken, what was received is recognised, every remaining
     * event is emitted, then {@code session.closed}. Only the first call counts.
     */
    public void end(String reason, int code) {
        if (state == State.OPEN) {
            client.ending();
        }
        synchronized (this) {
            if (state != State.OPEN) {
                return;
            }
            state = State.ENDING;
            endReason = reason;
            closeCode = code;
        }
        channels.values().forEach(RecognitionChannel::endOfInput);
        closeIfDone();
    }

    long idleNanos() {
        return System.nanoTime() - lastActivityNanos;
    }

    @Override
    public void partial(RecognitionChannel channel, int utterance, String text) {
        redaction.partial(channel.name(), SessionEvent.of("transcript.partial").itemId(itemId(channel, utterance, false))
                .channel(channel.name()).language(channel.language()), text);
    }

    @Override
    public void complete(RecognitionChannel channel, int utterance, String text, long startMs, long endMs) {
        complete(channel, utterance, text, startMs, endMs, null);
    }

    /** A final; with the recognizer's confidence, when it gives one, as {@code confidence} and {@code words}. */
    @Override
    public void complete(RecognitionChannel channel, int utterance, String text, long startMs, long endMs, Confidence confidence) {
        long arrived = channel.arrivalNanos(endMs);
        registry.meters().transcriptFinal(settings.ingest(), arrived < 0 ? -1 : System.nanoTime() - arrived);
        SessionEvent.Draft event = SessionEvent.of("transcript.final").itemId(itemId(channel, utterance, true))
                .channel(channel.name()).language(channel.language()).span(startMs, endMs);
        if (confidence != null) {
            event.field("confidence", confidence.utterance());
            // Each word's text is what was said: with redaction on, the words are not given at all.
            if (!confidence.words().isEmpty() && !redaction.enabled()) {
                event.field("words", confidence.words().stream().map(CallSession::word).toList());
            }
        }
        redaction.complete(channel.name(), event, text, wordTimes.remove(channel.name() + '/' + utterance));
    }

    private static Map<String, Object> word(Confidence.Word w) {
        Map<String, Object> word = new LinkedHashMap<>();
        word.put("text", w.text());
        word.put("start_ms", w.startMs());
        word.put("end_ms", w.endMs());
        word.put("confidence", w.confidence());
        return word;
    }

    @Override
    public void wordTimes(RecognitionChannel channel, int utterance, java.util.List<dev.parley.realtime.WordTime> words) {
        if (redaction.enabled()) {
            wordTimes.put(channel.name() + '/' + utterance, words);
        }
    }

    @Override
    public void warning(RecognitionChannel channel, String code, String message) {
        emit(SessionEvent.of("warning").channel(channel.name()).field("code", code).field("message", message));
    }

    /** An error of a channel; {@code capacity} (audio came and no recognizer was free for it) ends the session. */
    @Override
    public void error(RecognitionChannel channel, String code, String message) {
        emit(SessionEvent.of("error").channel(channel.name()).field("code", code).field("message", message));
        if ("capacity".equals(code)) {
            end("capacity", 1013);
        }
    }

    @Override
    public void finished(RecognitionChannel channel) {
        speaking.remove(channel.name());
        redaction.release(channel.name());
        closeIfDone();
    }

    @Override
    public void speechStarted(RecognitionChannel channel, int utterance, long atMs) {
        speaking.add(channel.name());
    }

    @Override
    public void speechStopped(RecognitionChannel channel, int utterance, long atMs) {
        speaking.remove(channel.name());
    }

    /** True while a channel's speaker is in the middle of an utterance: ending now would cut it. */
    public boolean speaking() {
        return !speaking.isEmpty();
    }

    /** Parley is shutting down: the client is told to go elsewhere where its protocol can say so. */
    void draining() {
        client.draining();
    }

    /**
     * Emits {@code session.closed} now, whatever is still on its way (Parley is stopping and cannot
     * wait any longer): events emitted after it are dropped, the client is closed with {@code code}.
     */
    void forceClose(String reason, int code) {
        if (state == State.OPEN) {
            client.ending();
        }
        synchronized (this) {
            if (closing || state == State.CLOSED) {
                return;
            }
            if (state == State.OPEN) {
                state = State.ENDING;
                endReason = reason;
                closeCode = code;
            }
            endedAt = Instant.now();
        }
        redaction.releaseAll(); // a final held back for redaction goes out before the end
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        channels.values().forEach(RecognitionChannel::endOfInput);
        emitClosed();
    }

    /**
     * The item id the events of a channel's utterance carry, made now if none of them was emitted yet:
     * a protocol that names utterances itself (OpenAI's) shows the client the ids of the archive and
     * the webhooks. Valid until the utterance's final or {@code noResult}.
     */
    public String itemId(RecognitionChannel channel, int utterance) {
        return itemId(channel, utterance, false);
    }

    /** An utterance with no result keeps no item id (one may have been made for it: {@link #itemId(RecognitionChannel, int)}). */
    @Override
    public synchronized void noResult(RecognitionChannel channel, int utterance) {
        openItems.remove(channel.name() + '/' + utterance);
    }

    /** Item ids are unique across the session's channels; partial and final of an utterance share one. */
    private synchronized String itemId(RecognitionChannel channel, int utterance, boolean last) {
        String key = channel.name() + '/' + utterance;
        String item = openItems.computeIfAbsent(key, k -> "item_" + (++itemCount));
        if (last) {
            openItems.remove(key);
        }
        return item;
    }

    /**
     * Closes a session a crash left open, through the event routes as any other: {@code session.closed}
     * with reason {@code server_crashed} and, per channel, the audio the archive holds ({@code audio}).
     */
    void closeLeftOpen(Map<String, Object> audio) {
        synchronized (this) {
            state = State.ENDING;
            endReason = "server_crashed";
            closing = true;
            endedAt = Instant.now();
        }
        emit(SessionEvent.of("session.closed").field("reason", endReason).field("audio", audio), () -> {
            synchronized (this) {
                state = State.CLOSED;
            }
            registry.closed(this);
        });
    }

    /** Emits {@code session.closed} once the session is ending, its channels are done and no event is in flight. */
    private void closeIfDone() {
        synchronized (this) {
            boolean done = state == State.ENDING && eventsInFlight == 0
                    && channels.values().stream().allMatch(RecognitionChannel::finished);
            if (!done || closing) {
                return;
            }
            closing = true;
            endedAt = Instant.now();
        }
        emitClosed();
    }

    /** Emits {@code session.closed} with the channels' totals; once it is routed, closes the client and lets it go. */
    private void emitClosed() {
        Map<String, Object> audio = new LinkedHashMap<>();
        channels.values().forEach(ch -> audio.put(ch.name(), statsJson(ch.stats())));
        emit(SessionEvent.of("session.closed").field("reason", endReason).field("audio", audio), () -> {
            synchronized (this) {
                state = State.CLOSED;
            }
            client.close(closeCode, endReason);
            // The registry remembers closed sessions (their totals) for a while: they must not keep
            // their connection alive, nor what it holds (up to a whole message being received).
            client = GONE;
            registry.closed(this);
        });
    }

    private static Map<String, Object> statsJson(ChannelStats stats) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("bytes", stats.bytesProcessed());
        json.put("sha256", stats.sha256());
        json.put("dropped_bytes", stats.bytesDropped());
        json.put("duration_ms", stats.audioMillis());
        return json;
    }
}
