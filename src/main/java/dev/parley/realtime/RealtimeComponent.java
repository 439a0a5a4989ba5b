package dev.parley.realtime;

import dev.parley.session.ParleyHeaders;
import dev.parley.session.StepEndpoint;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;

/**
 * {@code realtime:recognize}: hands a frame of a session's audio to that channel's recognizer, or a
 * gap in the call's audio ({@link ParleyHeaders#AUDIO_GAP}) to the channel's, or every channel's; audio for the
 * archive only ({@link ParleyHeaders#AUDIO_FOR}) passes by. It only queues
 * (never blocks), so it can run on the connection's event loop.
 */
public final class RealtimeComponent extends DefaultComponent {

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        if (!"recognize".equals(remaining)) {
            throw new IllegalArgumentException("Unknown realtime endpoint '" + remaining + "'; use realtime:recognize");
        }
        return StepEndpoint.of(uri, this, (session, exchange) -> {
            if (ParleyHeaders.FOR_ARCHIVE.equals(exchange.getMessage().getHeader(ParleyHeaders.AUDIO_FOR))) {
                return; // heard already
            }
            Long gap = exchange.getMessage().getHeader(ParleyHeaders.AUDIO_GAP, Long.class);
            if (gap != null) {
                session.skipAudio(exchange.getMessage().getHeader(ParleyHeaders.CHANNEL, String.class), gap);
            } else {
                session.acceptAudio(exchange.getMessage().getHeader(ParleyHeaders.CHANNEL, String.class),
                        exchange.getMessage().getBody(byte[].class));
            }
        });
    }
}
