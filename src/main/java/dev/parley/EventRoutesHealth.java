package dev.parley;

import dev.parley.session.EventsComponent;
import dev.parley.session.EventsConsumer;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.util.Map;

/**
 * What each route consuming {@code parley:events} has done: events queued, delivered, failed and
 * dropped for a full queue. Always up: a slow sink costs its own events, never Parley's service;
 * the counts are for operators to watch.
 */
final class EventRoutesHealth extends AbstractHealthCheck {

    private final EventsComponent events;

    EventRoutesHealth(EventsComponent events) {
        super("parley", "event-routes");
        this.events = events;
    }

    @Override
    public boolean isReadiness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        for (EventsConsumer consumer : events.consumers()) {
            String route = "route." + consumer.getRouteId() + ".";
            builder.detail(route + "stage", consumer.stage());
            builder.detail(route + "queued", consumer.queued());
            builder.detail(route + "delivered", consumer.delivered());
            builder.detail(route + "failed", consumer.failed());
            builder.detail(route + "dropped", consumer.overflowed());
        }
        builder.up();
    }
}
