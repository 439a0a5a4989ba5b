package dev.parley.telephony;

import dev.parley.session.CallSession;
import dev.parley.session.ParleyHeaders;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the telephony endpoints share: each frame of a channel's audio goes down the route (archive,
 * recognizer) as one exchange, on the connection's event loop, in arrival order.
 */
public abstract class TelephonyConsumer extends DefaultConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(TelephonyConsumer.class);

    protected TelephonyConsumer(Endpoint endpoint, Processor processor) {
        super(endpoint, processor);
    }

    /** Sends one frame of a channel's audio down the route; a failure becomes an {@code internal} error of the session. */
    public void deliver(CallSession session, String channel, byte[] audio) {
        if (session.state() != CallSession.State.OPEN) {
            return;
        }
        Exchange exchange = createExchange(false);
        try {
            exchange.getMessage().setBody(audio);
            exchange.getMessage().setHeader(ParleyHeaders.SESSION, session);
            exchange.getMessage().setHeader(ParleyHeaders.CHANNEL, channel);
            getProcessor().process(exchange);
            if (exchange.getException() != null) {
                throw exchange.getException();
            }
        } catch (Exception e) {
            LOG.warn("Audio route failed for session {}", session.id(), e);
            session.rejectInput("internal", "The server could not take this frame: " + e.getMessage());
        } finally {
            releaseExchange(exchange, false);
        }
    }
}
