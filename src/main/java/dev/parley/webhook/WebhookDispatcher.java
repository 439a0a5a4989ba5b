package dev.parley.webhook;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.EmptyWebhookSecretException;
import com.standardwebhooks.exceptions.WebhookSigningException;
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
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
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
 *       persisted; after the last attempt the delivery moves to {@code dead/} with its last failure.</li>
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
    private final Webhook signer;
    private final Spool spool;
    private final HttpComponent http;
    private final Endpoint endpoint;
    private final Producer producer;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong dead = new AtomicLong();
    private final Object lifecycle = new Object();
    private volatile boolean started;
    private volatile boolean closed;

    /** @param camel the Camel that sends: Parley's own, or any started context in tests */
    public WebhookDispatcher(WebhookSettings settings, CamelContext camel) {
        this.settings = Objects.requireNonNull(settings, "settings");
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
            Instant now = Instant.now();
            for (Path file : spool.pendingFiles()) {
                PendingDelivery delivery = read(file);
                if (delivery == null) {
                    continue;
                }
                Tracked entry = tracked.computeIfAbsent(file.getFileName().toString(),
                        name -> new Tracked(name, delivery.url()));
                long delay = Math.max(0, Duration.between(now, delivery.nextAttemptAt()).toMillis());
                if (schedule(entry, delay)) {
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
            lane(entry.url).executor.schedule(() -> attempt(entry), delayMillis, TimeUnit.MILLISECONDS);
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
        try {
            PendingDelivery delivery = read(file);
            if (delivery == null) {
                tracked.remove(entry.name, entry);
                return;
            }
            Outcome outcome = send(delivery);
            if (outcome == null) {
                return; // interrupted by close(): not an attempt, the file stays as it was
            }
            if (outcome.success()) {
                Files.deleteIfExists(file);
                tracked.remove(entry.name, entry);
                delivered.incrementAndGet();
                LOG.debug("Webhook {} ({}) delivered to {} at attempt {}", delivery.eventId(), delivery.eventType(),
                        WebhookSettings.redact(delivery.url()), delivery.attempts() + 1);
                return;
            }
            failed(entry, file, delivery, outcome);
        } catch (Throwable t) {
            if (closed) {
                return;
            }
            // A spool or programming error: keep the delivery alive rather than dropping it silently.
            LOG.error("Webhook delivery {} failed unexpectedly; retrying in {}", entry.name, settings.maxBackoff(), t);
            reschedule(entry, settings.maxBackoff().toMillis());
        }
    }

    private void failed(Tracked entry, Path file, PendingDelivery delivery, Outcome outcome) throws IOException {
        int attempts = delivery.attempts() + 1;
        String where = WebhookSettings.redact(delivery.url());
        if (attempts >= settings.maxAttempts()) {
            ObjectNode letter = delivery.failed(attempts, Instant.now(), outcome.failure()).toNode();
            letter.remove("next_attempt_at");
            letter.put("dead_at", Instant.now().toString());
            letter.put("reason", outcome.failure().describe());
            spool.moveToDead(file, PendingDelivery.bytes(letter));
            tracked.remove(entry.name, entry);
            dead.incrementAndGet();
            LOG.error("Webhook {} ({}) to {} given up after {} attempt(s): {}; kept in {}", delivery.eventId(),
                    delivery.eventType(), where, attempts, outcome.failure().describe(),
                    spool.dead.resolve(entry.name));
            return;
        }
        long delay = backoffMillis(attempts, settings, ThreadLocalRandom.current().nextDouble());
        if (outcome.retryAfterMillis() > delay) {
            delay = Math.min(outcome.retryAfterMillis(), settings.maxBackoff().toMillis());
        }
        PendingDelivery next = delivery.failed(attempts, Instant.now().plusMillis(delay), outcome.failure());
        try {
            spool.write(file, next.toJson());
        } catch (IOException e) {
            if (closed) {
                return; // interrupted while closing: the file keeps its previous, complete content
            }
            LOG.error("Cannot record webhook attempt {} of {} in {}: {}", attempts, delivery.eventId(), file, e.toString());
        }
        retried.incrementAndGet();
        LOG.info("Webhook {} to {} failed at attempt {}/{}: {}; next attempt in {} ms", delivery.eventId(), where,
                attempts, settings.maxAttempts(), outcome.failure().describe(), delay);
        reschedule(entry, delay);
    }

    /** Posts one signed attempt. Returns null when close() interrupted it. */
    private Outcome send(PendingDelivery delivery) {
        long timestamp = Instant.now().getEpochSecond();
        String signature;
        try {
            signature = signer().sign(delivery.eventId(), timestamp, delivery.payload());
            URI.create(delivery.url()).toURL();
        } catch (WebhookSigningException | IllegalArgumentException | java.net.MalformedURLException e) {
            return Outcome.failed(PendingDelivery.Failure.exception(e), 0);
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
            return Outcome.failed(PendingDelivery.Failure.exception(exchange.getException()), 0);
        }
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        if (status >= 200 && status < 300) {
            return Outcome.ok();
        }
        String body = exchange.getMessage().getBody(String.class);
        if (body != null && body.length() > BODY_LIMIT_CHARS) {
            body = body.substring(0, BODY_LIMIT_CHARS);
        }
        return Outcome.failed(PendingDelivery.Failure.http(status, body == null ? "" : body),
                retryAfterMillis(exchange.getMessage().getHeader("Retry-After", String.class)));
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

        Tracked(String name, String url) {
            this.name = name;
            this.url = url;
        }
    }

    /** One URL's own scheduler and threads. */
    private static final class Lane {
        final String label;
        final ScheduledThreadPoolExecutor executor;

        Lane(String url, int concurrency) {
            this.label = WebhookSettings.redact(url);
            this.executor = new ScheduledThreadPoolExecutor(concurrency,
                    threads("parley-webhook-" + Spool.urlHash(url).substring(0, 8)));
            executor.setRemoveOnCancelPolicy(true);
            executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        }
    }

    private record Outcome(boolean success, PendingDelivery.Failure failure, long retryAfterMillis) {
        static Outcome ok() {
            return new Outcome(true, null, 0);
        }

        static Outcome failed(PendingDelivery.Failure failure, long retryAfterMillis) {
            return new Outcome(false, failure, retryAfterMillis);
        }
    }
}
