package dev.parley.session;

import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.support.DefaultConsumer;
import org.apache.camel.support.DefaultEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Session events in routes. {@code from: session:events} receives every event of every session as
 * a {@link SessionEvent} body, each session's in {@code seq} order; {@code to: session:client}
 * sends the event in the body to its session's own client; {@code to: session:emit} emits the
 * {@link SessionEvent.Draft} in the body as the session's next event (a translation, say).
 *
 * <p>The events consumer routes asynchronously: steps up to the first asynchronous one (a
 * translation) run in order while the session waits; the rest runs on, and the session counts it
 * until it completes.
 */
public final class SessionComponent extends DefaultComponent {

    private static final Logger LOG = LoggerFactory.getLogger(SessionComponent.class);

    private final SessionRegistry sessions;

    public SessionComponent(SessionRegistry sessions) {
        this.sessions = sessions;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        return switch (remaining) {
            case "events" -> new EventsEndpoint(uri);
            case "client" -> StepEndpoint.of(uri, this, (session, exchange) ->
                    session.client().send(exchange.getMessage().getBody(SessionEvent.class)));
            case "emit" -> StepEndpoint.of(uri, this, (session, exchange) ->
                    session.emit(exchange.getMessage().getMandatoryBody(SessionEvent.Draft.class)));
            default -> throw new IllegalArgumentException(
                    "Unknown session endpoint '" + remaining + "'; use session:events, session:client or session:emit");
        };
    }

    private final class EventsEndpoint extends DefaultEndpoint {
        EventsEndpoint(String uri) {
            super(uri, SessionComponent.this);
        }

        @Override
        public Producer createProducer() {
            throw new IllegalArgumentException("session:events is a consumer (from: session:events)");
        }

        @Override
        public Consumer createConsumer(Processor processor) throws Exception {
            DefaultConsumer consumer = new DefaultConsumer(this, processor) {
                @Override
                protected void doStart() throws Exception {
                    super.doStart();
                    sessions.routeEventsTo(this::route);
                }

                private void route(CallSession session, SessionEvent event, Runnable done) {
                    Exchange exchange = createExchange(false);
                    exchange.getMessage().setBody(event);
                    exchange.getMessage().setHeader(ParleyHeaders.SESSION, session);
                    exchange.getMessage().setHeader(ParleyHeaders.EVENT, event);
                    exchange.getMessage().setHeader(ParleyHeaders.EVENT_TYPE, event.type());
                    exchange.getMessage().setHeader(ParleyHeaders.TARGETS, session.settings().targetsOf(event.channel()));
                    getAsyncProcessor().process(exchange, doneSync -> {
                        if (exchange.getException() != null) {
                            LOG.warn("Event route failed for {}", event, exchange.getException());
                        }
                        releaseExchange(exchange, false);
                        done.run();
                    });
                }
            };
            configureConsumer(consumer);
            return consumer;
        }
    }
}
