package dev.parley.session;

import dev.parley.audio.AudioEncoding;
import dev.parley.audio.AudioFormat;
import dev.parley.metrics.ParleyMeters;
import dev.parley.realtime.CapacityException;
import dev.parley.realtime.RecognitionChannel;
import dev.parley.realtime.RecognitionScheduler;
import dev.parley.realtime.Recognizer;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Opens, tracks and ends sessions, and owns what they share: the recognizer and the worker
 * threads that feed it. Also remembers recently closed sessions, so their totals can be read.
 */
public final class SessionRegistry extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(SessionRegistry.class);
    private static final int CLOSED_REMEMBERED = 1000;
    /** A channel without audio this long is told so every sweep, so its recognizer can give back what it holds. */
    private static final long IDLE_HINT_MS = 1000;

    private final Recognizer recognizer;
    private final Function<String, Set<String>> reachableTargets;
    private final Map<String, String> engines;
    private final SessionLimits limits;
    private final RecognitionScheduler workers;
    private final ExecutorService eventThreads;
    private final ScheduledExecutorService sweeper;
    private final Map<String, CallSession> open = new ConcurrentHashMap<>();
    private final Map<String, CallSession> closed = Collections.synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CallSession> eldest) {
            return size() > CLOSED_REMEMBERED;
        }
    });
    private final EventBus events = new EventBus();
    private final ParleyMeters meters;
    /** Open sessions that are not trusted; guarded by {@code open}. */
    private int anonymousOpen;
    private volatile Consumer<String> closedRecorded = id -> { };
    private volatile boolean draining;
    private volatile dev.parley.privacy.RedactionSettings redaction = dev.parley.privacy.RedactionSettings.OFF;

    /**
     * @param reachableTargets for a source language, the languages it can be translated into
     * @param engines          the engines of each stage by name, as sessions report them
     */
    public SessionRegistry(Recognizer recognizer, Function<String, Set<String>> reachableTargets,
                           Map<String, String> engines, SessionLimits limits, int workerThreads, ParleyMeters meters) {
        this.recognizer = recognizer;
        this.meters = meters;
        this.engines = Map.copyOf(engines);
        this.reachableTargets = reachableTargets;
        this.limits = limits;
        this.workers = new RecognitionScheduler(workerThreads, "parley-recognizer");
        this.sweeper = Executors.newSingleThreadScheduledExecutor(daemonThreads("parley-session-sweeper"));
        this.eventThreads = Executors.newFixedThreadPool(Math.max(2, workerThreads), daemonThreads("parley-events"));
        meters.sessions(this, SessionRegistry::openSessions);
        meters.recognizerQueues(this, r -> r.queuedMillis(true) / 1000.0, r -> r.queuedMillis(false) / 1000.0,
                limits.maxQueuedAudio().toMillis() / 1000.0);
        meters.decoders(recognizer.name(), recognizer, Recognizer::inUse, Recognizer::capacity);
    }

    public ParleyMeters meters() { return meters; }

    public Recognizer recognizer() { return recognizer; }

    public SessionLimits limits() { return limits; }

    /** How sessions opened from now on redact their text (parley.redaction.*); off by default. */
    public void redaction(dev.parley.privacy.RedactionSettings settings) {
        this.redaction = settings;
    }

    public dev.parley.privacy.RedactionSettings redaction() {
        return redaction;
    }

    /** The languages sessions can be opened in. */
    public Set<String> sourceLanguages() {
        return recognizer.languages();
    }

    /** Where every session's events go, in order: the routes that consume {@code parley:events}. */
    public EventBus events() {
        return events;
    }

    /** Opens a trusted session: one from a telephony platform, or a client with an API key. See {@link #open(SessionSettings, ClientConnection, boolean)}. */
    public CallSession open(SessionSettings settings, ClientConnection client) {
        return open(settings, client, true);
    }

    /**
     * Opens a session and its recognition channels. When the server is full, the session is
     * returned already ending, with an {@code error} of code {@code capacity}: the caller never waits.
     * A session that is not {@code trusted} (opened with a token) cannot take the last
     * {@code parley.session.reserved-for-trusted} session slots, nor the recognizer capacity reserved
     * for trusted sessions.
     */
    public CallSession open(SessionSettings settings, ClientConnection client, boolean trusted) {
        return open(settings, client, trusted, false);
    }

    /**
     * Opens one of the warm-up's rehearsal sessions (Parley's own loopback client, before it reports
     * ready): a trusted session whose events only the routes that take rehearsals receive
     * ({@code parley:events?warmup=true}), so no archive, webhook, broker or user route sees it.
     */
    public CallSession openRehearsal(SessionSettings settings, ClientConnection client) {
        return open(settings, client, true, true);
    }

    private CallSession open(SessionSettings settings, ClientConnection client, boolean trusted, boolean rehearsal) {
        CallSession session = new CallSession(Ids.session(), settings, recognizer.name(), trusted, client, this);
        session.rehearsal = rehearsal;
        for (String channel : settings.channels()) {
            String source = settings.sourceOf(channel);
            Set<String> reachable = reachableTargets.apply(source);
            for (String target : settings.targetsOf(channel)) {
                if (!reachable.contains(target)) {
                    session.emit(SessionEvent.of("error").field("code", "unsupported_language_pair")
                            .field("message", "Cannot translate " + source + " to " + target
                                    + (settings.channels().size() > 1 ? " (channel " + channel + ")" : "")
                                    + "; from " + source + " the installed engines reach: "
                                    + (reachable.isEmpty() ? "nothing" : String.join(", ", new java.util.TreeSet<>(reachable)))));
                    session.end("unsupported_language_pair", 1008);
                    meters.sessionRefused(settings.ingest(), "unsupported_language_pair");
                    return session;
                }
            }
        }
        if (draining) {
            // Shutting down: refused as a restart of the service (1012), which clients retry elsewhere.
            session.end("server_shutdown", SERVICE_RESTART);
            return session;
        }
        synchronized (open) {
            if (open.size() >= limits.maxSessions()) {
                refuse(session, "Parley is at its limit of " + limits.maxSessions()
                        + " concurrent sessions (parley.session.max-sessions). Try again later.");
                return session;
            }
            int shared = limits.maxSessions() - limits.reservedForTrusted();
            if (!trusted && anonymousOpen >= shared) {
                refuse(session, "Parley is at its limit of " + shared + " concurrent sessions opened with a token ("
                        + limits.reservedForTrusted() + " of parley.session.max-sessions are for API keys and telephony,"
                        + " parley.session.reserved-for-trusted). Try again later.");
                return session;
            }
            open.put(session.id(), session);
            if (!trusted) {
                anonymousOpen++;
            }
        }
        try {
            for (String channel : settings.channels()) {
                session.addChannel(new RecognitionChannel(channel, settings.sourceOf(channel), settings.format(), recognizer, trusted,
                        limits.maxQueuedAudio().toMillis(), limits.maxAhead().toMillis(),
                        (int) limits.levelWindow().toMillis(), workers, session));
            }
        } catch (CapacityException e) {
            refuse(session, e.getMessage());
            return session;
        }
        session.emit(SessionEvent.of("session.created").field("session", describe(session)));
        meters.sessionOpened(settings.ingest());
        return session;
    }

    private void refuse(CallSession session, String message) {
        meters.sessionRefused(session.settings().ingest(), "capacity");
        session.emit(SessionEvent.of("error").field("code", "capacity").field("message", message));
        session.end("capacity", 1013);
    }

    /** An open or recently closed session. */
    public Optional<CallSession> find(String id) {
        CallSession session = open.get(id);
        return Optional.ofNullable(session != null ? session : closed.get(id));
    }

    /** The callers' sessions open now (a copy): the warm-up's rehearsals are no one's call. */
    public List<CallSession> openNow() {
        return open.values().stream().filter(s -> !s.rehearsal()).toList();
    }

    public int openSessions() {
        return open.size();
    }

    /** Sessions open now from one ingest ({@code listen}, {@code twilio}, ...). */
    public int openSessions(String ingest) {
        return (int) open.values().stream().filter(s -> s.settings().ingest().equals(ingest)).count();
    }

    /** Audio waiting for the recognizer: on the channel furthest behind ({@code max}), or on all. */
    long queuedMillis(boolean max) {
        long result = 0;
        for (CallSession session : open.values()) {
            try {
                for (RecognitionChannel channel : session.channels()) {
                    result = max ? Math.max(result, channel.queuedMillis()) : result + channel.queuedMillis();
                }
            } catch (java.util.ConcurrentModificationException opening) {
                // the session is adding its channels right now: it has no audio queued yet
            }
        }
        return result;
    }

    /** Threads that take sessions' events through the routes, each session's one at a time. */
    Executor eventThreads() {
        return eventThreads;
    }

    void deliver(CallSession session, SessionEvent event, Runnable done) {
        try {
            events.deliver(session, event, done);
        } catch (RuntimeException e) {
            LOG.error("Event routes failed for {}", event.describe(), e);
            done.run();
        }
        if (event.type().equals("session.closed")) {
            closedRecorded.accept(session.id()); // the record stage (archive, spool) has it: nothing is left open
        }
    }

    /** Called with a session's id once the record stage has taken its {@code session.closed}. */
    public void onClosedRecorded(Consumer<String> listener) {
        this.closedRecorded = listener;
    }

    /**
     * Closes a session that a crash of an earlier Parley left open, from what its archive holds: its
     * {@code call.json} (as {@link #describe} wrote it), the {@code seq} of its last archived event,
     * and per channel the audio archived. Its {@code session.closed} (reason {@code server_crashed},
     * {@code seq} one past the last) goes through the event routes as any other: to the archive,
     * the webhooks, Kafka and users' routes.
     */
    @SuppressWarnings("unchecked")
    public void closeLeftOpen(Map<String, Object> call, long lastSeq, Map<String, Object> audio) {
        Map<String, List<String>> channelTargets = new LinkedHashMap<>();
        ((Map<String, Object>) call.getOrDefault("channel_targets", Map.of()))
                .forEach((channel, targets) -> channelTargets.put(channel, (List<String>) targets));
        SessionSettings settings = new SessionSettings((String) call.get("ingest"), (String) call.get("source"),
                (List<String>) call.getOrDefault("targets", List.of()),
                new AudioFormat(AudioEncoding.fromWireName((String) call.get("encoding")), ((Number) call.get("rate")).intValue()),
                (List<String>) call.get("channels"), (Map<String, String>) call.getOrDefault("metadata", Map.of()),
                Boolean.TRUE.equals(call.get("record")),
                (Map<String, String>) call.getOrDefault("channel_sources", Map.of()), channelTargets);
        String engine = String.valueOf(((Map<String, Object>) call.getOrDefault("engines", Map.of())).get("recognizer"));
        CallSession session = new CallSession((String) call.get("session_id"), settings, engine, this,
                java.time.Instant.parse((String) call.get("started_at")), lastSeq);
        open.put(session.id(), session);
        session.closeLeftOpen(audio);
    }

    void closed(CallSession session) {
        synchronized (open) {
            if (open.remove(session.id()) != null && !session.trusted()) {
                anonymousOpen--;
            }
        }
        closed.put(session.id(), session);
    }

    /** The settings a session runs with, as {@code session.created} tells the client. */
    public Map<String, Object> describe(CallSession session) {
        SessionSettings s = session.settings();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", session.id());
        json.put("ingest", s.ingest());
        json.put("source", s.source());
        json.put("targets", s.targets());
        if (!s.channelSources().isEmpty()) {
            json.put("channel_sources", new java.util.TreeMap<>(s.channelSources()));
        }
        if (!s.channelTargets().isEmpty()) {
            json.put("channel_targets", new java.util.TreeMap<>(s.channelTargets()));
        }
        json.put("encoding", s.format().encoding().wireName());
        json.put("rate", s.format().sampleRate());
        json.put("channels", List.copyOf(s.channels()));
        json.put("metadata", session.metadata());
        json.put("record", s.record());
        json.put("engines", engines);
        json.put("started_at", session.startedAt().toString());
        json.put("limits", Map.of(
                "max_queued_audio_ms", limits.maxQueuedAudio().toMillis(),
                "max_ahead_ms", limits.maxAhead().toMillis(),
                "idle_timeout_s", limits.idleTimeout().toSeconds(),
                "max_duration_s", limits.maxDuration().toSeconds()));
        return json;
    }

    @Override
    protected void doStart() {
        sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
    }

    private void sweep() {
        long idleLimit = limits.idleTimeout().toNanos();
        for (CallSession session : open.values()) {
            if (session.state() != CallSession.State.OPEN) {
                continue;
            }
            for (RecognitionChannel channel : session.channels()) {
                if (channel.millisSinceAudio() >= IDLE_HINT_MS) {
                    channel.idle(); // the recognizer may give back what the channel holds
                }
            }
            if (session.idleNanos() > idleLimit) {
                session.rejectInput("idle_timeout", "No audio for " + limits.idleTimeout().toSeconds()
                        + " s (parley.session.idle-timeout-s); the session is ending.");
                session.end("idle_timeout", 1000);
            } else if (session.startedAt().plus(limits.maxDuration()).isBefore(java.time.Instant.now())) {
                session.rejectInput("max_duration", "The session reached its maximum length of "
                        + limits.maxDuration().toSeconds() + " s (parley.session.max-duration-s); it is ending.");
                session.end("max_duration", 1000);
            }
        }
    }

    /** WebSocket close code 1012, Service Restart: the server is going away, connect again (elsewhere). */
    public static final int SERVICE_RESTART = 1012;

    /** True once a shutdown has begun: no session is taken any more. */
    public boolean draining() {
        return draining;
    }

    /**
     * Drains for a shutdown, within {@code timeout}, while the event routes still run: no new session
     * is taken; each open session's client is told to go elsewhere where its protocol can say so
     * (AudioHook: {@code reconnect}); a session whose speaker is in the middle of an utterance keeps
     * its audio until the utterance ends (for at most half the time), so a call's last sentence is
     * not cut; then each session ends ({@code server_shutdown}, close code 1012): its queued audio is
     * recognised, translated and spoken, and {@code session.closed} recorded and sent. What has not
     * closed by the deadline gets its {@code session.closed} at once. Returns the sessions it drained.
     */
    public int drain(java.time.Duration timeout) throws InterruptedException {
        draining = true;
        long t0 = System.nanoTime();
        long speakUntil = t0 + timeout.toNanos() / 2;
        long deadline = t0 + timeout.toNanos();
        int drained = open.size();
        open.values().forEach(CallSession::draining);
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            boolean speakingTimeOver = System.nanoTime() >= speakUntil;
            for (CallSession s : open.values()) {
                if (s.state() == CallSession.State.OPEN && (speakingTimeOver || !s.speaking())) {
                    s.end("server_shutdown", SERVICE_RESTART);
                }
            }
            Thread.sleep(20);
        }
        int forced = 0;
        for (CallSession s : open.values()) {
            s.forceClose("server_shutdown", SERVICE_RESTART);
            forced++;
        }
        long recorded = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!open.isEmpty() && System.nanoTime() < recorded) {
            Thread.sleep(20); // the forced session.closed events through the record stage
        }
        if (drained > 0) {
            LOG.info("Shutdown: {} session(s) drained in {} ms ({} closed at the {} s deadline)", drained,
                    (System.nanoTime() - t0) / 1_000_000, forced, timeout.toSeconds());
        }
        return drained;
    }

    @Override
    protected void doStop() throws InterruptedException {
        sweeper.shutdownNow();
        open.values().forEach(s -> s.end("server_shutdown", SERVICE_RESTART));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        workers.close();
        eventThreads.shutdown();
        eventThreads.awaitTermination(5, TimeUnit.SECONDS);
        recognizer.close();
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
