package dev.parley.realtime;

import dev.parley.session.ParleyHeaders;
import dev.parley.session.StepEndpoint;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

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
        return StepEndpoint.of(uri, this, (session, exchange) -> session.acceptAudio(
                exchange.getMessage().getHeader(ParleyHeaders.CHANNEL, String.class),
                exchange.getMessage().getBody(byte[].class)));
    }
}
