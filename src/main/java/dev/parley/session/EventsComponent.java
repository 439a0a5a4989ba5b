package dev.parley.session;

import dev.parley.metrics.ParleyMeters;
import io.micrometer.core.instrument.Meter;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@code parley:events}: every session's events, for as many routes as want them (publish-subscribe).
 * See {@link EventsEndpoint} for the options.
 */
public final class EventsComponent extends DefaultComponent {

    private final EventBus bus;
    private final ParleyMeters meters;
    private final List<EventsConsumer> consumers = new CopyOnWriteArrayList<>();
    private final Map<EventsConsumer, List<Meter>> consumerMeters = new ConcurrentHashMap<>();

    public EventsComponent(EventBus bus, ParleyMeters meters) {
        this.bus = bus;
        this.meters = meters;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        if (!"events".equals(remaining)) {
            throw new IllegalArgumentException("Unknown parley endpoint '" + remaining + "'; use parley:events");
        }
        EventsEndpoint endpoint = new EventsEndpoint(uri, this);
        setProperties(endpoint, parameters);
        endpoint.validate();
        return endpoint;
    }

    EventBus bus() {
        return bus;
    }

    void started(EventsConsumer consumer) {
        consumers.add(consumer);
        consumerMeters.put(consumer, meters.eventRoute(consumer.getRouteId(), consumer, EventsConsumer::queued,
                EventsConsumer::delivered, EventsConsumer::failed, EventsConsumer::overflowed));
        bus.subscribe(consumer);
    }

    void stopped(EventsConsumer consumer) {
        bus.unsubscribe(consumer);
        consumers.remove(consumer);
        List<Meter> gone = consumerMeters.remove(consumer);
        if (gone != null) {
            meters.remove(gone);
        }
    }

    /** The consumers now running, with their counts: for health and metrics. */
    public List<EventsConsumer> consumers() {
        return List.copyOf(consumers);
    }
}
