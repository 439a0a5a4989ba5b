package dev.parley.webhook;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.EmptyWebhookSecretException;
import com.standardwebhooks.exceptions.WebhookSigningException;
import dev.parley.metrics.ParleyMeters;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Producer;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.support.service.ServiceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Delivers events to webhook endpoints, signed per <a href="https://www.standardwebhooks.com">Standard Webhooks</a>,
 * at least once, surviving receiver outages and Parley restarts.
 * <ul>
 *   <li>{@link #enqueue} writes one pending file per URL (temp file, fsync, atomic rename) and returns: it never
 *       touches the network. A repeated event id that is still pending is ignored.</li>
 *   <li>Each URL has its own scheduler and {@link WebhookSettings#concurrency()} threads, so a slow or dead
 *       endpoint never delays another.</li>
 *   <li>Every attempt is signed anew with the current time ({@code webhook-timestamp}); {@code webhook-id} is the
 *       event id on every attempt and every URL, for receivers to deduplicate.</li>
 *   <li>2xx removes the pending file. Anything else is retried with exponential backoff and jitter (a
 *       {@code Retry-After} in seconds is honoured up to the maximum backoff), the attempt count and next time
 *       persisted, until {@link WebhookSettings#giveUpAfter()} after the event (the last attempt is made then) or
 *       {@link WebhookSettings#maxAttempts()}; then the delivery moves to {@code dead/} with its last failure,
 *       from where {@link #replay} sends it again.</li>
 *   <li>A receiver that is down (no answer, 408, 429, 5xx) is tried with one delivery at a time, the oldest, on
 *       the backoff schedule, while the others wait without attempts; once it answers they go, oldest first. So
 *       a day-long outage costs a few dozen requests, not one series per event, and with a concurrency of 1
 *       events reach a receiver in the order they were emitted, outages included. A delivery the receiver
 *       refuses on its own (another 4xx) retries on its own schedule, out of that order.</li>
 *   <li>{@link #close} interrupts attempts in flight and leaves their files; the next {@link #start} resumes
 *       them. An attempt cut short may have reached the receiver: delivery is at least once.</li>
 * </ul>
 * Each attempt is one request through Camel's http component (its own instance, so its timeouts are
 * these settings' and no route's); the spool, not Camel's in-memory redelivery, schedules attempts,
 * because attempts must outlive a restart.
 */
public final class WebhookDispatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookDispatcher.class);
    private static final Pattern EVENT_ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}");
    private static final int BODY_LIMIT_CHARS = 4096;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final WebhookSettings settings;
    private final ParleyMeters meters;
    private final Webhook signer;
    private final Spool spool;
    private final HttpComponent http;
    private final Endpoint endpoint;
    private final Producer producer;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
    /** The metrics label of each configured URL, by the hash that spool file names carry. */
    private final Map<String, String> receiverOfHash;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong dead = new AtomicLong();
    private final Object lifecycle = new Object();
    private volatile boolean started;
    private volatile boolean closed;

    /** @param camel the Camel that sends: Parley's own, or any started context in tests */
    public WebhookDispatcher(WebhookSettings settings, CamelContext camel) {
        this(settings, camel, ParleyMeters.none());
    }

    public WebhookDispatcher(WebhookSettings settings, CamelContext camel, ParleyMeters meters) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.meters = meters;
        try {
            this.signer = settings.secret() == null ? null : new Webhook(settings.secret());
        } catch (EmptyWebhookSecretException e) {
            throw new IllegalArgumentException("Invalid setting " + WebhookSettings.SECRET + ": the key is empty", e);
        }
        this.spool = new Spool(settings.dir(), settings.fsync());
        if (settings.enabled()) {
            spool.createDirectories(); // fail at construction, not at the first event, on an unwritable dir
        }
        long timeout = settings.requestTimeout().toMillis();
        this.http = new HttpComponent();
        http.setCamelContext(camel);
        http.setConnectTimeout(timeout);
        http.setConnectionRequestTimeout(timeout);
        http.setSoTimeout(timeout);
        http.setResponseTimeout(timeout);
        http.setFollowRedirects(false);
        http.setCookieManagementDisabled(true);
        try {
            ServiceHelper.startService(http);
            // The URL of each attempt is its header's (Exchange.HTTP_URI); failures are outcomes, not exceptions.
            this.endpoint = http.createEndpoint("http://webhook-receiver?throwExceptionOnFailure=false");
            this.producer = endpoint.createProducer();
            ServiceHelper.startService(endpoint, producer);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot set up Camel's http component for webhooks: " + e.getMessage(), e);
        }
        Map<String, String> receivers = new LinkedHashMap<>();
        settings.urls().forEach(url -> receivers.put(Spool.urlHash(url.toString()), ParleyMeters.receiver(url.toString())));
        receiverOfHash = Map.copyOf(receivers);
        for (String receiver : Set.copyOf(receivers.values())) {
            meters.webhookReceiver(receiver, this, d -> d.pendingFor(receiver), d -> d.deadLettersFor(receiver));
        }
    }

    /** Takes the spool, removes interrupted writes and schedules every pending delivery found there. */
    public void start() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("This webhook dispatcher is closed; create a new one");
            }
            if (started) {
                return;
            }
            if (!settings.enabled()) {
                started = true;
                warnAboutLeftovers();
                return;
            }
            spool.lock();
            started = true;
        }
        int resumed = 0;
        try {
            int temps = spool.removeTempFiles();
            if (temps > 0) {
                LOG.info("Removed {} incomplete webhook spool write(s) left by a crash in {}", temps, spool.root);
            }
            // Every delivery left is tried now, oldest first, rather than at its recorded time: a receiver that is
            // still down costs one attempt (the others wait for it, see Lane), and one that is up gets them in order.
            List<PendingDelivery> found = new ArrayList<>();
            Map<PendingDelivery, String> names = new HashMap<>();
            for (Path file : spool.pendingFiles()) {
                PendingDelivery delivery = read(file);
                if (delivery != null) {
                    found.add(delivery);
                    names.put(delivery, file.getFileName().toString());
                }
            }
            found.sort(Comparator.comparing(PendingDelivery::createdAt));
            for (PendingDelivery delivery : found) {
                Tracked entry = tracked.computeIfAbsent(names.get(delivery), name -> new Tracked(name, delivery.url()));
                if (schedule(entry, 0)) {
                    resumed++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the webhook spool " + spool.pending, e);
        }
        LOG.info("Webhook dispatcher started: {} URL(s), spool {}, {} pending deliver{} resumed",
                settings.urls().size(), spool.root, resumed, resumed == 1 ? "y" : "ies");
    }

    /**
     * Durably records one delivery of this event per configured URL and returns once the files are on disk.
     * Delivery happens later on the dispatcher's threads (after {@link #start()} when called before it).
     *
     * @param eventId     becomes {@code webhook-id}; letters, digits, {@code _ - .}, up to 200 characters
     * @param eventType   kept with the delivery for operators (the payload carries it for receivers)
     * @param jsonPayload posted and signed exactly as given
     * @throws IllegalArgumentException for an unusable event id or a null payload
     * @throws IllegalStateException    after {@link #close()}
     * @throws UncheckedIOException     when the spool cannot be written: the event is then not accepted
     */
    public void enqueue(String eventId, String eventType, String jsonPayload) {
        if (closed) {
            throw new IllegalStateException("The webhook dispatcher is closed; event " + eventId + " not accepted");
        }
        if (eventId == null || !EVENT_ID.matcher(eventId).matches()) {
            throw new IllegalArgumentException("Webhook event id must be 1-200 letters, digits, '_', '-' or '.', "
                    + "not starting with '.': " + eventId);
        }
        Objects.requireNonNull(jsonPayload, "jsonPayload");
        if (settings.urls().isEmpty()) {
            return;
        }
        Instant now = Instant.now();
        Map<Path, byte[]> writes = new LinkedHashMap<>();
        Map<Path, Tracked> reserved = new LinkedHashMap<>();
        for (URI url : settings.urls()) {
            String name = Spool.fileName(eventId, url.toString());
            Tracked entry = new Tracked(name, url.toString());
            Tracked existing = tracked.putIfAbsent(name, entry);
            Path file = spool.pending.resolve(name);
            if (existing != null) {
                LOG.debug("Webhook event {} is already pending for {}; not enqueued again", eventId,
                        WebhookSettings.redact(url.toString()));
                continue;
            }
            if (Files.exists(file)) {
                LOG.debug("Webhook event {} is already in the spool for {}", eventId, WebhookSettings.redact(url.toString()));
                if (started) {
                    schedule(entry, 0);
                }
                continue;
            }
            writes.put(file, PendingDelivery.first(eventId, eventType, url.toString(), jsonPayload, now).toJson());
            reserved.put(file, entry);
        }
        try {
            spool.writeAll(writes);
        } catch (IOException | RuntimeException e) {
            reserved.values().forEach(entry -> tracked.remove(entry.name, entry));
            throw e instanceof IOException io
                    ? new UncheckedIOException("cannot write webhook event " + eventId + " to " + spool.pending, io)
                    : (RuntimeException) e;
        }
        if (started && !closed) {
            reserved.values().forEach(entry -> schedule(entry, 0));
        }
    }

    /**
     * Which dead letters {@link #replay} sends again; each part null (or empty) for any.
     *
     * @param receiver a configured URL, or its host and port as the metrics label it ({@code hooks.example.com:8443})
     * @param types    event types
     * @param from     events emitted at or after this instant
     * @param to       events emitted before this instant
     */
    public record ReplayFilter(String receiver, Set<String> types, Instant from, Instant to) {

        public static final ReplayFilter ALL = new ReplayFilter(null, Set.of(), null, null);

        boolean matches(PendingDelivery letter) {
            return (receiver == null || receiver.equals(letter.url()) || receiver.equals(ParleyMeters.receiver(letter.url())))
                    && (types == null || types.isEmpty() || types.contains(letter.eventType()))
                    && (from == null || !letter.createdAt().isBefore(from))
                    && (to == null || letter.createdAt().isBefore(to));
        }
    }

    /**
     * Sends dead letters again: each one that matches, and whose URL is still configured, goes back to
     * {@code pending/} with no attempt made and a new retry window ({@code giveUpAfter} from now), and is sent in
     * its event's order with the deliveries pending for that URL. A dead letter whose event is pending again
     * already is left alone. Returns how many were re-queued.
     *
     * @throws UncheckedIOException when {@code dead/} or {@code pending/} cannot be read or written
     */
    public synchronized int replay(ReplayFilter filter) {
        if (closed) {
            throw new IllegalStateException("The webhook dispatcher is closed");
        }
        Set<String> configured = new HashSet<>();
        settings.urls().forEach(url -> configured.add(url.toString()));
        Map<PendingDelivery, Path> letters = new HashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(spool.dead, "*" + Spool.JSON_SUFFIX)) {
            for (Path file : files) {
                PendingDelivery letter;
                try {
                    letter = PendingDelivery.fromJson(Files.readAllBytes(file));
                } catch (IOException | RuntimeException e) {
                    LOG.warn("Dead letter {} cannot be read ({}); not replayed", file, e.getMessage());
                    continue;
                }
                if (configured.contains(letter.url()) && filter.matches(letter)) {
                    letters.put(letter, file);
                }
            }
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dead letters in " + spool.dead, e);
        }
        List<PendingDelivery> order = new ArrayList<>(letters.keySet());
        order.sort(Comparator.comparing(PendingDelivery::createdAt));
        Instant now = Instant.now();
        int replayed = 0;
        for (PendingDelivery letter : order) {
            Path deadFile = letters.get(letter);
            String name = deadFile.getFileName().toString();
            Tracked entry = new Tracked(name, letter.url());
            if (tracked.putIfAbsent(name, entry) != null) {
                continue;
            }
            try {
                // Pending before the dead letter goes: a crash in between sends it, at worst twice.
                spool.write(spool.pending.resolve(name), letter.replayed(now).toJson());
                Files.deleteIfExists(deadFile);
                spool.forceDirectory(spool.dead);
            } catch (IOException e) {
                tracked.remove(name, entry);
                throw new UncheckedIOException("cannot move dead letter " + deadFile + " back to " + spool.pending, e);
            }
            replayed++;
            meters.webhookReplayed(ParleyMeters.receiver(letter.url()));
            if (started) {
                schedule(entry, 0);
            }
        }
        LOG.info("Replayed {} webhook dead letter(s) ({})", replayed, filter);
        return replayed;
    }

    /** How many deliveries {@link #forgetSessions} removed: still pending, and dead letters. */
    public record Forgotten(int pending, int dead) {
    }

    /**
     * Removes every delivery of these sessions' events, pending or dead: their files go, so no
     * attempt is made of them any more (one already on the wire may still arrive). For erasure: the
     * notices of an erasure ({@code session.erased}) are kept.
     */
    public synchronized Forgotten forgetSessions(Set<String> sessionIds) {
        java.util.function.Predicate<PendingDelivery> theirs = d -> !"session.erased".equals(d.eventType())
                && sessionIds.contains(sessionOf(d));
        int pending = removeWhere(spool.pending, theirs);
        int dead = removeWhere(spool.dead, theirs);
        return new Forgotten(pending, dead);
    }

    /** Removes the dead letters of events emitted before {@code cutoff}; returns how many. For retention. */
    public synchronized int dropDeadLettersBefore(Instant cutoff) {
        return removeWhere(spool.dead, d -> d.createdAt().isBefore(cutoff));
    }

    private int removeWhere(Path folder, java.util.function.Predicate<PendingDelivery> match) {
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*" + Spool.JSON_SUFFIX)) {
            for (Path file : files) {
                PendingDelivery delivery;
                try {
                    delivery = PendingDelivery.fromJson(Files.readAllBytes(file));
                } catch (NoSuchFileException gone) {
                    continue;
                } catch (IOException | RuntimeException e) {
                    LOG.warn("Webhook spool file {} cannot be read ({}); left alone", file, e.getMessage());
                    continue;
                }
                if (match.test(delivery) && Files.deleteIfExists(file)) {
                    removed++;
                }
            }
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the webhook spool in " + folder, e);
        }
        if (removed > 0) {
            spool.forceDirectory(folder);
        }
        return removed;
    }

    private static String sessionOf(PendingDelivery delivery) {
        try {
            return PendingDelivery.JSON.readTree(delivery.payload()).path("session_id").asText(null);
        } catch (IOException e) {
            return null;
        }
    }

    private void warnAboutLeftovers() {
        int left = 0;
        try {
            if (Files.isDirectory(spool.pending)) {
                left = spool.pendingFiles().size();
            }
        } catch (IOException e) {
            LOG.debug("Cannot list {}: {}", spool.pending, e.toString());
        }
        if (left > 0) {
            LOG.warn("Webhooks are off ({} is empty) but {} undelivered webhook(s) wait in {}; they are kept "
                    + "and sent when URLs are configured again", WebhookSettings.URLS, left, spool.pending);
        }
    }

    /** Deliveries enqueued or resumed and neither delivered nor dead yet. */
    public int pending() {
        return tracked.size();
    }

    /** Deliveries a receiver acknowledged with 2xx. */
    public long delivered() {
        return delivered.get();
    }

    /** Failed attempts that were scheduled to be tried again. */
    public long retried() {
        return retried.get();
    }

    /** Deliveries given up on and moved to {@code dead/}. */
    public long dead() {
        return dead.get();
    }

    public WebhookSettings settings() {
        return settings;
    }

    /** Deliveries not yet acknowledged by the configured URLs of this receiver (host and port). */
    public int pendingFor(String receiver) {
        return (int) tracked.values().stream().filter(t -> ParleyMeters.receiver(t.url).equals(receiver)).count();
    }

    /** Dead letters in {@code dead/} for the configured URLs of this receiver (host and port). */
    public int deadLettersFor(String receiver) {
        int count = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(spool.dead, "*" + Spool.JSON_SUFFIX)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                String hash = name.substring(name.lastIndexOf('.', name.length() - Spool.JSON_SUFFIX.length() - 1) + 1,
                        name.length() - Spool.JSON_SUFFIX.length());
                if (receiver.equals(receiverOfHash.get(hash))) {
                    count++;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("Cannot count the dead letters in {}: {}", spool.dead, e.toString());
        }
        return count;
    }

    /** The spool's root; {@code pending/} and {@code dead/} are below it. */
    public Path spoolDirectory() {
        return spool.root;
    }

    public boolean isRunning() {
        return started && !closed;
    }

    /** Stops promptly: attempts in flight are interrupted and every undelivered file stays for the next start. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
        }
        lanes.values().forEach(lane -> lane.executor.shutdownNow());
        // A request in flight blocks its thread in a socket read that an interrupt does not reach:
        // stopping the http component closes its connections, which ends it.
        ServiceHelper.stopAndShutdownServices(producer, endpoint, http);
        long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        for (Lane lane : lanes.values()) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !lane.executor.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                    LOG.warn("Webhook deliveries to {} did not stop within {}", lane.label, CLOSE_WAIT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        spool.close();
        LOG.info("Webhook dispatcher closed with {} deliver{} pending in {}", pending(),
                pending() == 1 ? "y" : "ies", spool.pending);
    }

    // ---- delivery -------------------------------------------------------------------------------------------

    private boolean schedule(Tracked entry, long delayMillis) {
        if (!entry.scheduled.compareAndSet(false, true)) {
            return false;
        }
        return reschedule(entry, delayMillis);
    }

    private boolean reschedule(Tracked entry, long delayMillis) {
        if (closed) {
            return false;
        }
        try {
            entry.task = lane(entry.url).executor.schedule(() -> attempt(entry), delayMillis, TimeUnit.MILLISECONDS);
            return true;
        } catch (RejectedExecutionException e) {
            return false; // closing: the file stays for the next start
        }
    }

    private Lane lane(String url) {
        return lanes.computeIfAbsent(url, u -> new Lane(u, settings.concurrency()));
    }

    private void attempt(Tracked entry) {
        if (closed) {
            return;
        }
        Path file = spool.pending.resolve(entry.name);
        Lane lane = lane(entry.url);
        try {
            PendingDelivery delivery = read(file);
            if (delivery == null) {
                tracked.remove(entry.name, entry);
                lane.gone(entry).ifPresent(next -> reschedule(next, 0));
                return;
            }
            entry.createdAt = delivery.createdAt();
            entry.giveUpAt = delivery.giveUpAt(settings.giveUpAfter());
            if (lane.park(entry)) {
                return; // the receiver is down: this one waits for the probe, without an attempt
            }
            Outcome outcome = send(delivery);
            if (outcome == null) {
                return; // interrupted by close(): not an attempt, the file stays as it was
            }
            if (outcome.success()) {
                Files.deleteIfExists(file);
                tracked.remove(entry.name, entry);
                delivered.incrementAndGet();
                meters.webhookDelivered(lane.receiver);
                LOG.debug("Webhook {} ({}) delivered to {} at attempt {}", delivery.eventId(), delivery.eventType(),
                        lane.label, delivery.attempts() + 1);
                release(lane, lane.up(entry));
                return;
            }
            meters.webhookAttemptFailed(lane.receiver);
            failed(entry, lane, file, delivery, outcome);
        } catch (Throwable t) {
            if (closed) {
                return;
            }
            // A spool or programming error: keep the delivery alive rather than dropping it silently.
            LOG.error("Webhook delivery {} failed unexpectedly; retrying in {}", entry.name, settings.maxBackoff(), t);
            reschedule(entry, settings.maxBackoff().toMillis());
        }
    }

    private void failed(Tracked entry, Lane lane, Path file, PendingDelivery delivery, Outcome outcome) throws IOException {
        int attempts = delivery.attempts() + 1;
        Instant now = Instant.now();
        Instant giveUpAt = delivery.giveUpAt(settings.giveUpAfter());
        boolean receiverDown = outcome.receiverDown();
        if (receiverDown) {
            lane.failure(outcome.failure());
        } else {
            release(lane, lane.up(entry)); // it answered: the receiver is up, only this delivery is refused
        }
        if (settings.maxAttempts() > 0 && attempts >= settings.maxAttempts() || !now.isBefore(giveUpAt)) {
            deadLetter(entry, file, delivery.failed(attempts, now, outcome.failure()), outcome.failure().describe());
            if (receiverDown) {
                sweep(lane, now);
            }
            // If it was the probe of a receiver still down, the oldest waiting delivery tests it next.
            lane.gone(entry).ifPresent(next ->
                    reschedule(next, backoffMillis(lane.failures(), settings, ThreadLocalRandom.current().nextDouble())));
            return;
        }
        // A receiver that is down is retried on its own schedule (its failures in a row), whichever delivery tests it.
        boolean probe = !receiverDown || lane.down(entry);
        long delay = retryDelayMillis(receiverDown ? lane.failures() : attempts, outcome.retryAfterMillis(),
                Duration.between(now, giveUpAt).toMillis(), settings, ThreadLocalRandom.current().nextDouble());
        PendingDelivery next = delivery.failed(attempts, probe ? now.plusMillis(delay) : now, outcome.failure());
        try {
            spool.write(file, next.toJson());
        } catch (IOException e) {
            if (closed) {
                return; // interrupted while closing: the file keeps its previous, complete content
            }
            LOG.error("Cannot record webhook attempt {} of {} in {}: {}", attempts, delivery.eventId(), file, e.toString());
        }
        retried.incrementAndGet();
        if (!probe) {
            // Another delivery already tests the receiver; this one waits with the rest.
            LOG.debug("Webhook {} to {} failed at attempt {}: {}; waits for the receiver", delivery.eventId(), lane.label,
                    attempts, outcome.failure().describe());
            lane.parkAfterFailure(entry);
            return;
        }
        LOG.info("Webhook {} to {} failed at attempt {}: {}; next attempt in {} ms{}", delivery.eventId(), lane.label,
                attempts, outcome.failure().describe(), delay,
                receiverDown && lane.waiting() > 0 ? " (" + lane.waiting() + " more wait for this receiver)" : "");
        reschedule(entry, delay);
        if (receiverDown) {
            sweep(lane, now);
        }
    }

    /** Moves a delivery to {@code dead/} with its last failure and why it was given up. */
    private void deadLetter(Tracked entry, Path file, PendingDelivery last, String reason) throws IOException {
        ObjectNode letter = last.toNode();
        letter.remove("next_attempt_at");
        letter.put("dead_at", Instant.now().toString());
        letter.put("reason", reason);
        spool.moveToDead(file, PendingDelivery.bytes(letter));
        tracked.remove(entry.name, entry);
        dead.incrementAndGet();
        meters.webhookDeadLettered(ParleyMeters.receiver(last.url()));
        LOG.error("Webhook {} ({}) to {} given up after {} attempt(s): {}; kept in {} (POST /api/webhooks/dead/replay "
                        + "sends it again)", last.eventId(), last.eventType(), WebhookSettings.redact(last.url()),
                last.attempts(), reason, spool.dead.resolve(entry.name));
    }

    /**
     * Dead-letters the waiting deliveries whose time is up while their receiver is still down: the probe has been
     * trying it for them, so they are not each tried once more.
     */
    private void sweep(Lane lane, Instant now) throws IOException {
        for (Tracked expired : lane.expired(now)) {
            Path file = spool.pending.resolve(expired.name);
            PendingDelivery delivery = read(file);
            if (delivery == null) {
                tracked.remove(expired.name, expired);
                continue;
            }
            PendingDelivery.Failure last = lane.lastFailure();
            deadLetter(expired, file, delivery.failed(delivery.attempts(), now, last),
                    "not sent: the receiver was down until " + WebhookSettings.GIVE_UP_AFTER_S + "="
                            + settings.giveUpAfter().toSeconds() + " after the event"
                            + (delivery.replayedAt() != null ? "'s replay" : "")
                            + "; it was tested with an older delivery, whose last failure was: "
                            + (last == null ? "unknown" : last.describe()));
        }
    }

    /** Sends the deliveries that waited for their receiver, oldest first. */
    private void release(Lane lane, List<Tracked> waiting) {
        if (!waiting.isEmpty()) {
            LOG.info("Webhook receiver {} answers again: sending the {} deliver{} that waited", lane.label,
                    waiting.size(), waiting.size() == 1 ? "y" : "ies");
        }
        for (Tracked entry : waiting) {
            // The probe may still be scheduled for later: it goes now instead, unless it is being sent already.
            ScheduledFuture<?> task = entry.task;
            if (task == null || task.isDone() || task.cancel(false)) {
                reschedule(entry, 0);
            }
        }
    }

    /** Posts one signed attempt. Returns null when close() interrupted it. */
    private Outcome send(PendingDelivery delivery) {
        long timestamp = Instant.now().getEpochSecond();
        String signature;
        try {
            signature = signer().sign(delivery.eventId(), timestamp, delivery.payload());
            URI.create(delivery.url()).toURL();
        } catch (WebhookSigningException | IllegalArgumentException | java.net.MalformedURLException e) {
            return Outcome.failed(PendingDelivery.Failure.exception(e), 0, false);
        }
        Exchange exchange = endpoint.createExchange();
        exchange.getMessage().setHeader(Exchange.HTTP_URI, delivery.url());
        exchange.getMessage().setHeader(Exchange.HTTP_METHOD, "POST");
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        exchange.getMessage().setHeader("User-Agent", "Parley-Webhooks/1");
        exchange.getMessage().setHeader("webhook-id", delivery.eventId());
        exchange.getMessage().setHeader("webhook-timestamp", Long.toString(timestamp));
        exchange.getMessage().setHeader("webhook-signature", signature);
        exchange.getMessage().setBody(delivery.payload());
        try {
            producer.process(exchange);
        } catch (Exception e) {
            exchange.setException(e);
        }
        if (closed) {
            return null;
        }
        if (exchange.getException() != null) {
            return Outcome.failed(PendingDelivery.Failure.exception(exchange.getException()), 0, true);
        }
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        if (status >= 200 && status < 300) {
            return Outcome.ok();
        }
        String body = exchange.getMessage().getBody(String.class);
        if (body != null && body.length() > BODY_LIMIT_CHARS) {
            body = body.substring(0, BODY_LIMIT_CHARS);
        }
        // No answer, a timeout, "too many requests" or a server error: the receiver is down, not this delivery.
        boolean receiverDown = status == 408 || status == 429 || status >= 500 || status < 200;
        return Outcome.failed(PendingDelivery.Failure.http(status, body == null ? "" : body),
                retryAfterMillis(exchange.getMessage().getHeader("Retry-After", String.class)), receiverDown);
    }

    private Webhook signer() {
        if (signer == null) {
            throw new IllegalStateException("Missing setting " + WebhookSettings.SECRET
                    + ": pending webhooks cannot be signed without it");
        }
        return signer;
    }

    private static long retryAfterMillis(String value) {
        if (value == null) {
            return 0;
        }
        try {
            long seconds = Long.parseLong(value.trim());
            return seconds > 0 ? Math.multiplyExact(seconds, 1000L) : 0;
        } catch (NumberFormatException | ArithmeticException e) {
            return 0; // an HTTP date: fall back to our own backoff
        }
    }

    /**
     * Wait before the next attempt: the backoff, or the receiver's {@code Retry-After} when longer (up to the
     * maximum backoff), but never past the time left before the delivery gives up: its last attempt is made then.
     */
    static long retryDelayMillis(int failures, long retryAfterMillis, long leftMillis, WebhookSettings settings,
                                 double random) {
        long delay = backoffMillis(failures, settings, random);
        if (retryAfterMillis > delay) {
            delay = Math.min(retryAfterMillis, settings.maxBackoff().toMillis());
        }
        return Math.max(1, Math.min(delay, leftMillis));
    }

    /**
     * Wait after the given number of failed attempts: initial x multiplier^(failures-1), capped at the maximum,
     * then jittered to between half and all of it so that a crowd of retries spreads out.
     */
    static long backoffMillis(int failures, WebhookSettings settings, double random) {
        double base = settings.initialBackoff().toMillis()
                * Math.pow(settings.backoffMultiplier(), Math.max(0, failures - 1));
        double capped = Math.min(base, settings.maxBackoff().toMillis());
        return Math.max(1, Math.round(capped * (0.5 + 0.5 * random)));
    }

    /** Reads a pending file, setting an unreadable one aside; null when there is nothing to deliver. */
    private PendingDelivery read(Path file) {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return PendingDelivery.fromJson(content);
        } catch (IOException e) {
            try {
                Path aside = spool.setAside(file);
                LOG.error("Unreadable webhook spool file {} ({}); moved to {}", file, e.getMessage(), aside);
            } catch (IOException move) {
                LOG.error("Unreadable webhook spool file {} ({}) could not be moved aside: {}", file, e.getMessage(),
                        move.toString());
            }
            return null;
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** A delivery known to this dispatcher; {@code scheduled} guards against scheduling one file twice. */
    private static final class Tracked {
        final String name;
        final String url;
        final AtomicBoolean scheduled = new AtomicBoolean();
        /** From its file, once read: its place in the receiver's order, and when it is given up. */
        volatile Instant createdAt = Instant.MAX;
        volatile Instant giveUpAt = Instant.MAX;
        /** Its next attempt, while one is scheduled. */
        volatile ScheduledFuture<?> task;

        Tracked(String name, String url) {
            this.name = name;
            this.url = url;
        }
    }

    /** Oldest event first; the file name (event id, URL hash) breaks ties. */
    private static final Comparator<Tracked> OLDEST_FIRST = Comparator.<Tracked, Instant>comparing(t -> t.createdAt)
            .thenComparing(t -> t.name);

    /**
     * One URL's own scheduler and threads, and whether its receiver is down. While it is, one delivery, the
     * probe, is tried on the backoff schedule; the others wait, oldest first, until the receiver answers.
     */
    private static final class Lane {
        final String label;
        final String receiver;
        final ScheduledThreadPoolExecutor executor;
        private Tracked probe;
        private int failures;
        private PendingDelivery.Failure lastFailure;
        private final TreeSet<Tracked> waiting = new TreeSet<>(OLDEST_FIRST);

        Lane(String url, int concurrency) {
            this.label = WebhookSettings.redact(url);
            this.receiver = ParleyMeters.receiver(url);
            this.executor = new ScheduledThreadPoolExecutor(concurrency,
                    threads("parley-webhook-" + Spool.urlHash(url).substring(0, 8)));
            executor.setRemoveOnCancelPolicy(true);
            executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        }

        /** True, and the delivery waits, when the receiver is down and another delivery tests it. */
        synchronized boolean park(Tracked entry) {
            if (probe == null || probe == entry) {
                return false;
            }
            waiting.add(entry);
            return true;
        }

        /** After a failed attempt of a delivery that is not the probe. */
        synchronized void parkAfterFailure(Tracked entry) {
            waiting.add(entry);
        }

        /** The receiver failed {@code entry}'s attempt: it is down. True when {@code entry} is (now) the probe. */
        synchronized boolean down(Tracked entry) {
            failures++;
            if (probe == null) {
                probe = entry;
            }
            return probe == entry;
        }

        /** The receiver answered {@code entry}: it is up. Returns the probe, if another, and those that waited, oldest first. */
        synchronized List<Tracked> up(Tracked entry) {
            if (probe == null && waiting.isEmpty()) {
                return List.of();
            }
            List<Tracked> out = new ArrayList<>();
            if (probe != null && probe != entry) {
                out.add(probe);
            }
            out.addAll(waiting);
            probe = null;
            failures = 0;
            waiting.clear();
            return out;
        }

        /** The probe was given up: the oldest waiting delivery becomes the probe (none when nothing waits). */
        synchronized Optional<Tracked> promote() {
            probe = waiting.pollFirst();
            return Optional.ofNullable(probe);
        }

        /** {@code entry}'s file is gone; if it was the probe, the next one takes over. */
        synchronized Optional<Tracked> gone(Tracked entry) {
            waiting.remove(entry);
            return probe == entry ? promote() : Optional.empty();
        }

        /** Waiting deliveries whose time is up, taken out of the lane. */
        synchronized List<Tracked> expired(Instant now) {
            List<Tracked> out = new ArrayList<>();
            waiting.removeIf(t -> !now.isBefore(t.giveUpAt) && out.add(t));
            return out;
        }

        synchronized int failures() {
            return failures;
        }

        synchronized int waiting() {
            return waiting.size();
        }

        synchronized PendingDelivery.Failure lastFailure() {
            return lastFailure;
        }

        synchronized void failure(PendingDelivery.Failure failure) {
            lastFailure = failure;
        }
    }

    private record Outcome(boolean success, PendingDelivery.Failure failure, long retryAfterMillis, boolean receiverDown) {
        static Outcome ok() {
            return new Outcome(true, null, 0, false);
        }

        static Outcome failed(PendingDelivery.Failure failure, long retryAfterMillis, boolean receiverDown) {
            return new Outcome(false, failure, retryAfterMillis, receiverDown);
        }
    }
}
