package dev.parley.privacy;

import dev.parley.archive.SessionRemovalListener;
import dev.parley.archive.TranscriptArchive;
import dev.parley.webhook.WebhookDispatcher;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Keeps data no longer than {@code parley.archive.retention-days}: a daily sweep (the first a minute
 * after start) deletes the sessions that ended longer ago than that from the archive, tells the
 * {@link SessionRemovalListener}s (a search index), and deletes the webhook dead letters of events
 * as old, logging what it removed.
 */
public final class Retention extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

    private final TranscriptArchive archive;
    private final Predicate<String> stillOpen;
    private final WebhookDispatcher webhooks;
    private final Duration keep;
    private final Clock clock;
    private final Iterable<SessionRemovalListener> listeners;
    private ScheduledExecutorService daily;

    /** What one sweep removed. */
    public record Swept(List<String> sessions, int files, int webhookDeadLetters) {
    }

    /**
     * @param stillOpen true for a session that is still open (it is left alone)
     * @param webhooks  whose dead letters expire too, or null
     * @param listeners told of each session removed ({@link Erasure#listeners()}, so both tell the same)
     */
    public Retention(TranscriptArchive archive, Predicate<String> stillOpen, WebhookDispatcher webhooks, Duration keep,
                     Clock clock, Iterable<SessionRemovalListener> listeners) {
        this.archive = archive;
        this.stillOpen = stillOpen;
        this.webhooks = webhooks;
        this.keep = keep;
        this.clock = clock;
        this.listeners = listeners;
    }

    /** Removes what is older than the retention period now, by the clock. */
    public synchronized Swept sweep() {
        Instant cutoff = clock.instant().minus(keep);
        List<String> removed = new ArrayList<>();
        int files = 0;
        for (TranscriptArchive.Archived s : archive.sessions()) {
            if (!s.lastActivity().isBefore(cutoff) || stillOpen.test(s.sessionId())) {
                continue;
            }
            files += archive.delete(s).size();
            removed.add(s.sessionId());
            for (SessionRemovalListener listener : listeners) {
                try {
                    listener.sessionRemoved(s.sessionId(), SessionRemovalListener.Cause.EXPIRED);
                } catch (RuntimeException e) {
                    LOG.error("A listener failed on the expiry of session {}", s.sessionId(), e);
                }
            }
        }
        int dead = webhooks == null ? 0 : webhooks.dropDeadLettersBefore(cutoff);
        LOG.info("Retention ({} days): removed {} session(s) that ended before {} ({} file(s) and folder(s)){}, "
                        + "{} webhook dead letter(s)", keep.toDays(), removed.size(), cutoff, files,
                removed.isEmpty() ? "" : " " + removed, dead);
        return new Swept(List.copyOf(removed), files, dead);
    }

    @Override
    protected void doStart() {
        daily = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "parley-retention");
            t.setDaemon(true);
            return t;
        });
        daily.scheduleWithFixedDelay(() -> {
            try {
                sweep();
            } catch (RuntimeException e) {
                LOG.error("Retention sweep failed; it runs again in a day", e);
            }
        }, 60, TimeUnit.DAYS.toSeconds(1), TimeUnit.SECONDS);
    }

    @Override
    protected void doStop() {
        if (daily != null) {
            daily.shutdownNow();
        }
    }
}
