package dev.parley.privacy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.archive.ArchiveIndex;
import dev.parley.archive.SessionArchive;
import dev.parley.archive.SessionRemovalListener;
import dev.parley.archive.TranscriptArchive;
import dev.parley.session.CallSession;
import dev.parley.session.EventJson;
import dev.parley.session.SessionEvent;
import dev.parley.session.SessionRegistry;
import dev.parley.webhook.WebhookDispatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Erases sessions on request (a caller's right to erasure): every file of their archive, their
 * webhook deliveries still pending and their dead letters; then tells the {@link SessionRemovalListener}s
 * (a search index) and sends {@code session.erased} to the webhooks. A session still open is not
 * erased: it would go on writing.
 */
public final class Erasure {

    private static final Logger LOG = LoggerFactory.getLogger(Erasure.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TranscriptArchive archive;
    private final SessionRegistry sessions;
    private final WebhookDispatcher webhooks;
    private final boolean notify;
    private final List<SessionRemovalListener> listeners = new CopyOnWriteArrayList<>();
    private volatile ArchiveIndex index;

    /** What was removed of one session. */
    public record Erased(String sessionId, List<String> files, int webhooksPending, int webhookDeadLetters) {
        public Map<String, Object> json() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("session_id", sessionId);
            json.put("files", files);
            json.put("webhooks_pending", webhooksPending);
            json.put("webhook_dead_letters", webhookDeadLetters);
            return json;
        }
    }

    /** A session asked for is still open: end it first. */
    public static final class SessionOpenException extends Exception {
        public SessionOpenException(String sessionId) {
            super("Session " + sessionId + " is still open; it can be erased once it has ended");
        }
    }

    /**
     * @param webhooks the dispatcher whose spool holds the sessions' deliveries, or null for none
     * @param notify   send {@code session.erased} to the webhooks (they are on and want it)
     */
    public Erasure(TranscriptArchive archive, SessionRegistry sessions, WebhookDispatcher webhooks, boolean notify) {
        this.archive = archive;
        this.sessions = sessions;
        this.webhooks = webhooks;
        this.notify = notify && webhooks != null;
    }

    /** Called for every session erased or expired, once its files are gone: a search index removes it too. */
    public void addListener(SessionRemovalListener listener) {
        listeners.add(listener);
    }

    /** Finds sessions through the archive's search index rather than by reading every session's files. */
    public void searchWith(ArchiveIndex index) {
        this.index = index;
    }

    /** The listeners, live: retention tells the same ones. */
    public List<SessionRemovalListener> listeners() {
        return listeners;
    }

    /** Erases one session; empty when the archive and the spool hold nothing of it. */
    public Optional<Erased> erase(String sessionId) throws SessionOpenException {
        refuseOpen(sessionId);
        Optional<TranscriptArchive.Archived> archived = archive.find(sessionId);
        Erased erased = erase(sessionId, archived.orElse(null));
        return erased.files().isEmpty() && erased.webhooksPending() == 0 && erased.webhookDeadLetters() == 0
                ? Optional.empty() : Optional.of(erased);
    }

    /**
     * Erases every archived session whose metadata has {@code key} = {@code value} (every call of
     * one customer, say).
     *
     * @throws SessionOpenException when one of them is still open: then none is erased
     */
    public List<Erased> eraseWhere(String key, String value) throws SessionOpenException {
        ArchiveIndex searched = index;
        List<TranscriptArchive.Archived> matching = searched != null ? searched.withMetadata(key, value)
                : archive.sessions().stream().filter(s -> value.equals(String.valueOf(s.metadata().get(key)))).toList();
        for (TranscriptArchive.Archived s : matching) {
            refuseOpen(s.sessionId());
        }
        List<Erased> out = new ArrayList<>();
        for (TranscriptArchive.Archived s : matching) {
            out.add(erase(s.sessionId(), s));
        }
        return out;
    }

    private void refuseOpen(String sessionId) throws SessionOpenException {
        if (stillOpen(sessionId)) {
            throw new SessionOpenException(sessionId);
        }
    }

    /** True while the session is open or ending: it still writes. */
    public boolean stillOpen(String sessionId) {
        Optional<CallSession> live = sessions.find(sessionId);
        return live.isPresent() && live.get().state() != CallSession.State.CLOSED;
    }

    private Erased erase(String sessionId, TranscriptArchive.Archived archived) {
        long lastSeq = archived == null ? 0 : lastSeq(archived);
        WebhookDispatcher.Forgotten forgotten = webhooks == null ? new WebhookDispatcher.Forgotten(0, 0)
                : webhooks.forgetSessions(Set.of(sessionId));
        List<String> files = archived == null ? List.of() : archive.delete(archived);
        Erased erased = new Erased(sessionId, files, forgotten.pending(), forgotten.dead());
        LOG.info("Erased session {}: {} file(s) and folder(s), {} pending webhook(s), {} webhook dead letter(s)",
                sessionId, files.size(), forgotten.pending(), forgotten.dead());
        for (SessionRemovalListener listener : listeners) {
            try {
                listener.sessionRemoved(sessionId, SessionRemovalListener.Cause.ERASED);
            } catch (RuntimeException e) {
                LOG.error("A listener failed on the erasure of session {}", sessionId, e);
            }
        }
        if (notify && !(files.isEmpty() && forgotten.pending() == 0 && forgotten.dead() == 0)) {
            Map<String, Object> removed = new LinkedHashMap<>();
            removed.put("files", files.size());
            removed.put("webhooks_pending", forgotten.pending());
            removed.put("webhook_dead_letters", forgotten.dead());
            SessionEvent event = SessionEvent.about(sessionId, lastSeq + 1,
                    SessionEvent.of("session.erased").field("removed", removed));
            webhooks.enqueue(event.eventId(), event.type(), EventJson.write(event));
        }
        return erased;
    }

    /** The {@code seq} of the session's last archived event, so that {@code session.erased} comes after it. */
    private static long lastSeq(TranscriptArchive.Archived archived) {
        try {
            List<String> lines = SessionArchive.readTranscript(archived.folder().resolve(SessionArchive.TRANSCRIPT));
            return lines.isEmpty() ? 0 : JSON.readTree(lines.get(lines.size() - 1)).path("seq").asLong();
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }
}
