package dev.parley.console;

import dev.parley.session.SessionEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * Every session's events as staff see them live: the console route ({@code console:feed}, a
 * publish-stage consumer of {@code parley:events}) hands each event here, and each listener (one
 * {@code /api/events} stream) gets those it asked for. For each session in progress the feed keeps
 * what was said so far (its finals and translations, the latest partial of each utterance, warnings
 * and errors), so a supervisor who starts watching mid-call sees the call from its start; a session's
 * record goes once it has closed. Speech ({@code tts.audio}) is passed on, never kept.
 */
public final class LiveFeed {

    /** Events of one session kept at most: a very long call keeps its latest. */
    static final int KEPT_PER_SESSION = 5000;
    private static final long STALE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);

    /** One stream of events: those of one session, or of all, of some types or all. */
    public interface Listener {
        /** The session this listener follows, or null for all. */
        String session();

        boolean wants(String type);

        /** Takes one event; must not block (it is called on the console route's thread). */
        void send(SessionEvent event);
    }

    /** What the feed knows of a session in progress beyond its settings. */
    public record Health(int warnings, int errors, Map<String, Object> lastWarning) {
    }

    private static final class LiveCall {
        final List<SessionEvent> said = new ArrayList<>();
        int warnings;
        int errors;
        SessionEvent lastWarning;
        volatile long lastEventNanos = System.nanoTime();
    }

    private final Map<String, LiveCall> calls = new ConcurrentHashMap<>();
    private final Set<Listener> listeners = new CopyOnWriteArraySet<>();

    /** One event of a session, in the session's {@code seq} order. */
    public void publish(SessionEvent event) {
        LiveCall call = calls.computeIfAbsent(event.sessionId(), id -> new LiveCall());
        synchronized (call) {
            keep(call, event);
            for (Listener listener : listeners) {
                if ((listener.session() == null || listener.session().equals(event.sessionId()))
                        && listener.wants(event.type())) {
                    listener.send(event);
                }
            }
        }
        if (event.type().equals("session.closed")) {
            calls.remove(event.sessionId());
        }
    }

    /**
     * Starts a stream. A listener that follows one session in progress first gets what was said in it
     * so far, then its events as they come, none twice and none missed.
     */
    public void subscribe(Listener listener) {
        if (listener.session() == null) {
            listeners.add(listener);
            return;
        }
        LiveCall call = calls.get(listener.session());
        if (call == null) {
            listeners.add(listener);
            return;
        }
        synchronized (call) {
            for (SessionEvent event : call.said) {
                if (listener.wants(event.type())) {
                    listener.send(event);
                }
            }
            listeners.add(listener);
        }
    }

    public void unsubscribe(Listener listener) {
        listeners.remove(listener);
    }

    /** Warnings and errors of a session in progress so far. */
    public Health health(String sessionId) {
        LiveCall call = calls.get(sessionId);
        if (call == null) {
            return new Health(0, 0, null);
        }
        synchronized (call) {
            return new Health(call.warnings, call.errors, call.lastWarning);
        }
    }

    /**
     * Forgets what it kept of sessions that are no longer open: those whose {@code session.closed} it
     * never got (dropped from a full queue), so that nothing is kept for good.
     */
    public void retainOnly(Set<String> open) {
        long quiet = System.nanoTime() - STALE_NANOS;
        // Only records quiet for a while: a session opened after {@code open} was listed keeps its own.
        calls.entrySet().removeIf(e -> !open.contains(e.getKey()) && e.getValue().lastEventNanos < quiet);
    }

    private static void keep(LiveCall call, SessionEvent event) {
        call.lastEventNanos = System.nanoTime();
        switch (event.type()) {
            case "tts.audio" -> {
                return;
            }
            case "warning" -> {
                call.warnings++;
                call.lastWarning = event;
            }
            case "error" -> call.errors++;
            case "transcript.partial", "transcript.final" ->
                    // The utterance's latest partial replaces the one before; its final replaces the partial.
                    call.said.removeIf(e -> e.type().equals("transcript.partial") && event.itemId() != null
                            && event.itemId().equals(e.itemId()));
            default -> {
            }
        }
        call.said.add(event);
        if (call.said.size() > KEPT_PER_SESSION) {
            // The session's own settings stay: a watcher needs them to lay out its channels.
            call.said.remove(call.said.get(0).type().equals("session.created") ? 1 : 0);
        }
    }
}
