package dev.parley.realtime;

import dev.parley.session.CallSession;
import dev.parley.session.ParleyHeaders;
import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.DefaultProducer;

import java.util.Map;

/**
 * {@code realtime:recognize}: hands a frame of a session's audio to that channel's recognizer.
 * It only queues the frame (never blocks), so it can run on the connection's event loop.
 */
public final class RealtimeComponent extends DefaultComponent {

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        if (!"recognize".equals(remaining)) {
            throw new IllegalArgumentException("Unknown realtime endpoint '" + remaining + "'; use realtime:recognize");
        }
        return new DefaultEndpoint(uri, this) {
            @Override
            public Producer createProducer() {
                return new DefaultProducer(this) {
                    @Override
                    public void process(Exchange exchange) {
                        CallSession session = exchange.getMessage().getHeader(ParleyHeaders.SESSION, CallSession.class);
                        String channel = exchange.getMessage().getHeader(ParleyHeaders.CHANNEL, String.class);
                        session.acceptAudio(channel, exchange.getMessage().getBody(byte[].class));
                    }
                };
            }

            @Override
            public Consumer createConsumer(Processor processor) {
                throw new IllegalArgumentException("realtime:recognize is a producer (to: realtime:recognize)");
            }
        };
    }
}
