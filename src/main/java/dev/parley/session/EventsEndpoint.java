package dev.parley.session;

import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.MultipleConsumersSupport;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Every session's events as exchanges: the body is the event's envelope (a read-only map, JSON when
 * converted to text or bytes), the headers those of {@link ParleyHeaders}. Any number of routes may
 * consume it; each sees each session's events in {@code seq} order.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "parley", title = "Parley events", syntax = "parley:name",
        consumerOnly = true, category = {Category.MESSAGING})
public final class EventsEndpoint extends DefaultEndpoint implements MultipleConsumersSupport {

    @UriPath(enums = "events", description = "The stream: events")
    @Metadata(required = true)
    private String name = "events";
    @UriParam(description = "Comma-separated event types this route receives (transcript.final,translation.final); all when empty")
    private String types;
    @UriParam(defaultValue = "publish", enums = "record,publish", description = "record: the event is handed to this"
            + " route first, in the session's thread, before it is published (the archive and the webhook spool);"
            + " publish: the route has its own queue and threads, and never delays the session")
    private String stage = "publish";
    @UriParam(defaultValue = "false", description = "The session does not close (session.closed waits) while this"
            + " route still works on one of its events: for routes that emit events back (translation, speech)")
    private boolean holdSession;
    @UriParam(defaultValue = "false", description = "Also receive the events of the warm-up's rehearsal sessions,"
            + " which Parley runs on loopback before it reports ready (parley.recognizer.warmup) so that the first"
            + " calls find its code compiled: for Parley's own routes that answer a session (client, translate,"
            + " speak). Other routes never see them")
    private boolean warmup;
    @UriParam(defaultValue = "1000", description = "Events this route holds at once, across sessions, waiting or in"
            + " its steps; more are dropped and counted")
    private int queueSize = 1000;
    @UriParam(defaultValue = "2", description = "Threads this route's events run on; each session's events stay in order")
    private int concurrency = 2;

    EventsEndpoint(String uri, EventsComponent component) {
        super(uri, component);
    }

    @Override
    public EventsComponent getComponent() {
        return (EventsComponent) super.getComponent();
    }

    @Override
    public boolean isMultipleConsumersSupported() {
        return true;
    }

    @Override
    public Producer createProducer() {
        throw new IllegalArgumentException("parley:events is a stream to consume (from: parley:events); "
                + "a route emits events back with to: session:emit");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        EventsConsumer consumer = new EventsConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    void validate() {
        Set<String> unknown = typeSet().stream().filter(t -> !SessionEvent.TYPES.contains(t))
                .collect(Collectors.toCollection(TreeSet::new));
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(getEndpointUri() + ": unknown event types " + unknown
                    + "; Parley emits " + new TreeSet<>(SessionEvent.TYPES));
        }
        if (!stage.equals("record") && !stage.equals("publish")) {
            throw new IllegalArgumentException(getEndpointUri() + ": stage is record or publish, not '" + stage + "'");
        }
        if (queueSize < 1 || concurrency < 1 || concurrency > 256) {
            throw new IllegalArgumentException(getEndpointUri() + ": queueSize must be at least 1 and concurrency 1 to 256");
        }
    }

    /** The types this route wants; empty for all. */
    Set<String> typeSet() {
        return types == null || types.isBlank() ? Set.of()
                : Arrays.stream(types.split(",")).map(String::trim).filter(t -> !t.isEmpty()).collect(Collectors.toSet());
    }

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getTypes() { return types; }
    public void setTypes(String types) { this.types = types; }
    public String getStage() { return stage; }
    public void setStage(String stage) { this.stage = stage; }
    public boolean isHoldSession() { return holdSession; }
    public void setHoldSession(boolean holdSession) { this.holdSession = holdSession; }
    public boolean isWarmup() { return warmup; }
    public void setWarmup(boolean warmup) { this.warmup = warmup; }
    public int getQueueSize() { return queueSize; }
    public void setQueueSize(int queueSize) { this.queueSize = queueSize; }
    public int getConcurrency() { return concurrency; }
    public void setConcurrency(int concurrency) { this.concurrency = concurrency; }
}
