package dev.parley.webhook;

import dev.parley.session.EventJson;
import dev.parley.session.ParleyProperties;
import dev.parley.session.SessionEvent;
import dev.parley.session.StepEndpoint;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;

/**
 * {@code webhook:notify}: hands the event in the body to the webhook dispatcher, which keeps it on
 * disk until every configured receiver has it, for sessions that consented to recording (which
 * types: the route's, events.camel.yaml). Returns once the delivery is on disk, never waiting
 * for a receiver.
 */
public final class WebhookComponent extends DefaultComponent {

    private final WebhookDispatcher dispatcher;
    public WebhookComponent(WebhookDispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        if (!"notify".equals(remaining)) {
            throw new IllegalArgumentException("Unknown webhook endpoint '" + remaining + "'; use webhook:notify");
        }
        return StepEndpoint.of(uri, this, (session, exchange) -> {
            SessionEvent event = exchange.getProperty(ParleyProperties.EVENT, SessionEvent.class);
            if (session.settings().record()) {
                dispatcher.enqueue(event.eventId(), event.type(), EventJson.write(event));
            }
        });
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        dispatcher.start();
    }

    @Override
    protected void doStop() throws Exception {
        dispatcher.close();
        super.doStop();
    }
}
