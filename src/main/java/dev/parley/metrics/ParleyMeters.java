package dev.parley.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Parley's own meters, {@code parley_*} in the exposition: base units (seconds), and labels that take a
 * handful of values (ingest, reason, engine, route id, receiver host), never a session or event id, so
 * the number of series stays fixed however many calls pass. README, "Metrics", lists them.
 */
public final class ParleyMeters {

    /**
     * The ingest names of {@code SessionSettings}, and the reasons below: their counters exist, at zero, before
     * anything happens, so that {@code increase()} sees the first one (a series born at 1 shows no increase).
     */
    public static final List<String> INGESTS = List.of("listen", "realtime", "twilio", "audiohook");
    static final List<String> DROP_REASONS = List.of("overloaded", "session_ended", "invalid_audio");
    static final List<String> REFUSAL_REASONS = List.of("capacity", "unsupported_language_pair");

    /** End of speech to final: the endpoint silence (0.5 s) and decoding come on top of any queueing. */
    private static final Duration[] FINAL_BUCKETS = seconds(0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 5, 10);
    /** Translation and speech: the embedded engines answer in milliseconds, cloud ones in hundreds of them. */
    private static final Duration[] STEP_BUCKETS = seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);

    private final MeterRegistry registry;

    public ParleyMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Meters that record nothing: a composite registry with no registries in it. */
    public static ParleyMeters none() {
        return new ParleyMeters(new CompositeMeterRegistry());
    }

    public MeterRegistry registry() {
        return registry;
    }

    // ---- sessions and audio ---------------------------------------------------------------------------

    /** Registers each ingest's meters: the open-sessions gauge, read from {@code openSessions}, and its counters at zero. */
    public <T> void sessions(T state, java.util.function.BiFunction<T, String, Integer> openSessions) {
        for (String ingest : INGESTS) {
            Gauge.builder("parley.sessions.open", state, s -> openSessions.apply(s, ingest))
                    .description("Sessions open now").tag("ingest", ingest).register(registry);
            counter("parley.sessions.opened", "Sessions opened", "ingest", ingest);
            counter("parley.transcript.finals", "transcript.final events emitted", "ingest", ingest);
            audioCounter("parley.audio.received", "Audio received for recognition", "ingest", ingest);
            finalLatency(ingest);
            REFUSAL_REASONS.forEach(reason -> refused(ingest, reason));
            DROP_REASONS.forEach(reason -> {
                droppedFrames(ingest, reason);
                droppedAudio(ingest, reason);
            });
        }
    }

    public void sessionOpened(String ingest) {
        counter("parley.sessions.opened", "Sessions opened", "ingest", ingest).increment();
    }

    /** A session refused at once: {@code capacity} (sessions or decoders) or {@code unsupported_language_pair}. */
    public void sessionRefused(String ingest, String reason) {
        refused(ingest, reason).increment();
    }

    private Counter refused(String ingest, String reason) {
        return counter("parley.sessions.refused", "Sessions refused as they opened", "ingest", ingest, "reason", reason);
    }

    public void audioReceived(String ingest, double seconds) {
        audioCounter("parley.audio.received", "Audio received for recognition", "ingest", ingest).increment(seconds);
    }

    /**
     * Audio not recognised: {@code overloaded} (the channel was too far behind), {@code session_ended} (it came
     * after the session stopped taking audio), {@code invalid_audio} (not whole samples).
     */
    public void audioDropped(String ingest, String reason, double seconds) {
        droppedFrames(ingest, reason).increment();
        droppedAudio(ingest, reason).increment(seconds);
    }

    private Counter droppedFrames(String ingest, String reason) {
        return counter("parley.audio.dropped.frames", "Audio frames dropped before recognition", "ingest", ingest,
                "reason", reason);
    }

    private Counter droppedAudio(String ingest, String reason) {
        return audioCounter("parley.audio.dropped", "Audio dropped before recognition", "ingest", ingest, "reason", reason);
    }

    /** A final transcript, and when known how long after the audio of its end of speech arrived. */
    public void transcriptFinal(String ingest, long latencyNanos) {
        counter("parley.transcript.finals", "transcript.final events emitted", "ingest", ingest).increment();
        if (latencyNanos >= 0) {
            finalLatency(ingest).record(Duration.ofNanos(latencyNanos));
        }
    }

    private Timer finalLatency(String ingest) {
        return Timer.builder("parley.transcript.final.latency")
                .description("From the arrival of the audio holding an utterance's end of speech to its transcript.final")
                .tag("ingest", ingest).serviceLevelObjectives(FINAL_BUCKETS).register(registry);
    }

    // ---- recognizer -----------------------------------------------------------------------------------

    /** The recognizer's queues: audio waiting on the channel furthest behind, in all, and the limit. */
    public <T> void recognizerQueues(T state, ToDoubleFunction<T> maxSeconds, ToDoubleFunction<T> totalSeconds,
                                     double limitSeconds) {
        Gauge.builder("parley.recognizer.lag", state, maxSeconds).baseUnit("seconds")
                .description("Audio waiting for the recognizer on the channel furthest behind real time").register(registry);
        Gauge.builder("parley.recognizer.queued.audio", state, totalSeconds).baseUnit("seconds")
                .description("Audio waiting for the recognizer, all channels").register(registry);
        Gauge.builder("parley.recognizer.lag.limit", () -> limitSeconds).baseUnit("seconds")
                .description("Lag beyond which a channel drops audio (parley.session.max-queued-audio-ms)").register(registry);
    }

    /** Decoders (recognition streams) in use, and free when the engine has a fixed number. */
    public <T> void decoders(String engine, T recognizer, ToDoubleFunction<T> inUse, ToDoubleFunction<T> capacity) {
        Gauge.builder("parley.recognizer.decoders.in.use", recognizer, inUse).tag("recognizer", engine)
                .description("Recognition streams open").register(registry);
        if (capacity.applyAsDouble(recognizer) < Integer.MAX_VALUE) {
            Gauge.builder("parley.recognizer.decoders.free", recognizer, r -> capacity.applyAsDouble(r) - inUse.applyAsDouble(r))
                    .tag("recognizer", engine).description("Recognition streams that can still be opened").register(registry);
        }
    }

    // ---- translation and speech -----------------------------------------------------------------------

    /** Registers an engine's translation and speech histograms at zero, so dashboards show them before any call. */
    public void engines(String translator, String synthesizer) {
        for (boolean ok : new boolean[]{true, false}) {
            stepTimer("parley.translation.latency", "One final translated into one language", translator, ok);
            stepTimer("parley.speech.latency", "One translation spoken", synthesizer, ok);
        }
    }

    public void translation(String engine, long nanos, boolean ok) {
        step("parley.translation.latency", "One final translated into one language", engine, nanos, ok);
    }

    public void speech(String engine, long nanos, boolean ok) {
        step("parley.speech.latency", "One translation spoken", engine, nanos, ok);
    }

    private void step(String name, String description, String engine, long nanos, boolean ok) {
        stepTimer(name, description, engine, ok).record(Duration.ofNanos(nanos));
    }

    private Timer stepTimer(String name, String description, String engine, boolean ok) {
        return Timer.builder(name).description(description).tags("engine", engine, "outcome", ok ? "ok" : "failed")
                .serviceLevelObjectives(STEP_BUCKETS).register(registry);
    }

    // ---- tokens ---------------------------------------------------------------------------------------

    /** Registers the token counters at zero: issued, and refused for each reason given. */
    public void tokens(List<String> refusalReasons) {
        counter("parley.tokens.issued", "Tokens issued by /api/realtime-token");
        refusalReasons.forEach(reason -> counter("parley.tokens.refused",
                "Token requests and WebSocket credentials refused", "reason", reason));
    }

    public void tokenIssued() {
        counter("parley.tokens.issued", "Tokens issued by /api/realtime-token").increment();
    }

    /** {@code rate_limited} at the token endpoint, or why a WebSocket's credential was refused. */
    public void tokenRefused(String reason) {
        counter("parley.tokens.refused", "Token requests and WebSocket credentials refused", "reason", reason).increment();
    }

    // ---- event routes ---------------------------------------------------------------------------------

    /**
     * One route consuming {@code parley:events}: events delivered, failed and dropped for a full queue, and
     * waiting now. Returns the meters, to remove when the route stops.
     */
    public <T> List<Meter> eventRoute(String route, T consumer, ToDoubleFunction<T> queued, ToDoubleFunction<T> delivered,
                                      ToDoubleFunction<T> failed, ToDoubleFunction<T> dropped) {
        List<Meter> meters = new ArrayList<>();
        meters.add(Gauge.builder("parley.event.route.queued", consumer, queued).tag("route", route)
                .description("Events accepted by the route and not yet done").register(registry));
        String events = "parley.event.route.events";
        String help = "Events a route consuming parley:events delivered, failed on, or dropped for a full queue";
        meters.add(FunctionCounter.builder(events, consumer, delivered).tags("route", route, "outcome", "delivered")
                .description(help).register(registry));
        meters.add(FunctionCounter.builder(events, consumer, failed).tags("route", route, "outcome", "failed")
                .description(help).register(registry));
        meters.add(FunctionCounter.builder(events, consumer, dropped).tags("route", route, "outcome", "dropped")
                .description(help).register(registry));
        return meters;
    }

    public void remove(List<Meter> meters) {
        meters.forEach(registry::remove);
    }

    // ---- webhooks -------------------------------------------------------------------------------------

    /** The label of a webhook URL: its host and port, never its path or query (they may hold a token). */
    public static String receiver(String url) {
        try {
            URI uri = URI.create(url);
            return uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    /** Deliveries waiting for this receiver, and dead letters for it kept in the spool's {@code dead/}. */
    public <T> void webhookReceiver(String receiver, T state, ToDoubleFunction<T> pending, ToDoubleFunction<T> dead) {
        Gauge.builder("parley.webhook.pending", state, pending).tag("receiver", receiver)
                .description("Webhook deliveries not yet acknowledged (waiting, in flight or between retries)").register(registry);
        Gauge.builder("parley.webhook.dead.letters", state, dead).tag("receiver", receiver)
                .description("Webhook deliveries given up on, kept in the spool's dead/ for replay").register(registry);
        for (String name : List.of("parley.webhook.delivered", "parley.webhook.failed.attempts", "parley.webhook.dead.lettered",
                "parley.webhook.replayed")) {
            webhook(name, receiver);
        }
    }

    public void webhookDelivered(String receiver) {
        webhook("parley.webhook.delivered", receiver).increment();
    }

    public void webhookAttemptFailed(String receiver) {
        webhook("parley.webhook.failed.attempts", receiver).increment();
    }

    public void webhookDeadLettered(String receiver) {
        webhook("parley.webhook.dead.lettered", receiver).increment();
    }

    public void webhookReplayed(String receiver) {
        webhook("parley.webhook.replayed", receiver).increment();
    }

    private Counter webhook(String name, String receiver) {
        String help = switch (name) {
            case "parley.webhook.delivered" -> "Webhook deliveries a receiver acknowledged with 2xx";
            case "parley.webhook.failed.attempts" -> "Webhook attempts that failed (each is retried until the delivery is dead)";
            case "parley.webhook.dead.lettered" -> "Webhook deliveries given up on and moved to dead/";
            default -> "Dead letters sent again by POST /api/webhooks/dead/replay";
        };
        return counter(name, help, "receiver", receiver);
    }

    // ---- helpers --------------------------------------------------------------------------------------

    private Counter counter(String name, String description, String... tags) {
        return Counter.builder(name).description(description).tags(Tags.of(tags)).register(registry);
    }

    private Counter audioCounter(String name, String description, String... tags) {
        return Counter.builder(name).description(description).baseUnit("seconds").tags(Tags.of(tags)).register(registry);
    }

    private static Duration[] seconds(double... values) {
        Duration[] out = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
        }
        return out;
    }
}
