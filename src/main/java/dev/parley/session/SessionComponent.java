package dev.parley.session;

import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.support.DefaultConsumer;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.DefaultProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Session events in routes. {@code from: session:events} receives every event of every session as
 * a {@link SessionEvent} body, each session's in {@code seq} order; {@code to: session:client}
 * sends the event in the body to its session's own client.
 */
public final class SessionComponent extends DefaultComponent {

    /** Exchange header holding the event's type, for filters and choices in routes. */
    public static final String EVENT_TYPE = "ParleyEventType";
    private static final Logger LOG = LoggerFactory.getLogger(SessionComponent.class);

    private final SessionRegistry sessions;

    public SessionComponent(SessionRegistry sessions) {
        this.sessions = sessions;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        return switch (remaining) {
            case "events" -> new EventsEndpoint(uri);
            case "client" -> new ClientEndpoint(uri);
            default -> throw new IllegalArgumentException(
                    "Unknown session endpoint '" + remaining + "'; use session:events or session:client");
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

                private void route(CallSession session, SessionEvent event) {
                    Exchange exchange = createExchange(false);
                    try {
                        exchange.getMessage().setBody(event);
                        exchange.getMessage().setHeader(ParleyHeaders.SESSION, session);
                        exchange.getMessage().setHeader(EVENT_TYPE, event.type());
                        getProcessor().process(exchange);
                        if (exchange.getException() != null) {
                            LOG.warn("Event route failed for {}", event, exchange.getException());
                        }
                    } catch (Exception e) {
                        LOG.warn("Event route failed for {}", event, e);
                    } finally {
                        releaseExchange(exchange, false);
                    }
                }
            };
            configureConsumer(consumer);
            return consumer;
        }
    }

    private final class ClientEndpoint extends DefaultEndpoint {
        ClientEndpoint(String uri) {
            super(uri, SessionComponent.this);
        }

        @Override
        public Producer createProducer() {
            return new DefaultProducer(this) {
                @Override
                public void process(Exchange exchange) {
                    CallSession session = exchange.getMessage().getHeader(ParleyHeaders.SESSION, CallSession.class);
                    session.client().send(exchange.getMessage().getBody(SessionEvent.class));
                }
            };
        }

        @Override
        public Consumer createConsumer(Processor processor) {
            throw new IllegalArgumentException("session:client is a producer (to: session:client)");
        }
    }
}
