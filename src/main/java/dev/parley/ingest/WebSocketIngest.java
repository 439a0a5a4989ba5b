package dev.parley.ingest;

import dev.parley.http.HttpServer;
import dev.parley.session.CallSession;
import dev.parley.session.ParleyHeaders;
import dev.parley.session.ParleyProperties;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every WebSocket entry point shares (browsers and API clients, Twilio, AudioHook): it serves
 * its path on Parley's HTTP server and does the upgrade itself, so it sees the request before
 * accepting it; each connection's frames are handled on that connection's event loop, so OPEN,
 * frames and CLOSE reach the route strictly in arrival order (the stock vertx-websocket consumer
 * does not guarantee that). Each frame of a channel's audio goes down the route as one exchange;
 * the route's steps therefore must not block.
 */
public abstract class WebSocketIngest extends DefaultConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(WebSocketIngest.class);

    private final HttpServer http;
    private final String path;
    private Route route;

    protected WebSocketIngest(Endpoint endpoint, Processor processor, HttpServer http, String path) {
        super(endpoint, processor);
        this.http = http;
        this.path = path;
    }

    protected HttpServer http() {
        return http;
    }

    protected String path() {
        return path;
    }

    /** Handles a WebSocket upgrade request for this path: check it, then upgrade or refuse. */
    protected abstract void upgrade(RoutingContext rc);

    /** What a plain HTTP request to this path is told. */
    protected abstract String notAWebSocket();

    /** Answers a plain HTTP request to this path: 426, with {@link #notAWebSocket()} as text. */
    protected void answerPlainHttp(RoutingContext rc) {
        rc.response().setStatusCode(426).putHeader("Upgrade", "websocket").end(notAWebSocket() + "\n");
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        route = http.router().route(path).handler(rc -> {
            if ("websocket".equalsIgnoreCase(rc.request().getHeader("Upgrade"))) {
                upgrade(rc);
            } else {
                answerPlainHttp(rc);
            }
        });
    }

    @Override
    protected void doStop() throws Exception {
        if (route != null) {
            route.remove();
        }
        super.doStop();
    }

    /**
     * For endpoints that take whole messages ({@code textMessageHandler}): closes the connection
     * with 1009 once a message, its fragments together, is over {@code parley.websocket.max-message-bytes},
     * then runs {@code tooLarge} (which ends the session with its reason). Vert.x drops such a
     * message itself but keeps the connection, and says so only to the exception handler, set here
     * to log at debug level (unset, Vert.x logs each one as an error).
     */
    public void closeOversizeMessages(ServerWebSocket ws, Runnable tooLarge) {
        MessageSize size = new MessageSize(http.maxMessageBytes());
        boolean[] closed = {false};
        ws.frameHandler(frame -> {
            if (!closed[0] && !size.add(frame)) {
                closed[0] = true;
                ws.close((short) 1009, size.reason());
                tooLarge.run();
            }
        });
        ws.exceptionHandler(e -> LOG.debug("WebSocket error on {}: {}", path, e.getMessage()));
    }

    /** Sends one frame of a channel's audio down the route; a failure becomes an {@code internal} error of the session. */
    public void deliver(CallSession session, String channel, byte[] audio) {
        send(session, audio, channel, null, null);
    }

    /**
     * Sends a frame down the route for one step only ({@link ParleyHeaders#AUDIO_FOR}): the
     * recognizer, or the archive; {@code gap} (bytes, or null) makes it silence in the archive.
     */
    public void deliverFor(String step, CallSession session, String channel, byte[] audio, Long gap) {
        send(session, audio, channel, gap, step);
    }

    /**
     * Sends a gap in the call's audio down the route, in order with the frames around it: that many
     * bytes missing from {@code channel}, or from every channel when it is null.
     */
    public void deliverGap(CallSession session, String channel, long bytesPerChannel) {
        send(session, new byte[0], channel, bytesPerChannel, null);
    }

    private void send(CallSession session, byte[] body, String channel, Long gap, String step) {
        if (session.state() != CallSession.State.OPEN) {
            return;
        }
        Exchange exchange = createExchange(false);
        try {
            exchange.getMessage().setBody(body);
            exchange.setProperty(ParleyProperties.SESSION, session);
            exchange.getMessage().setHeader(ParleyHeaders.SESSION_ID, session.id());
            exchange.getMessage().setHeader(ParleyHeaders.CHANNEL, channel);
            exchange.getMessage().setHeader(ParleyHeaders.AUDIO_GAP, gap);
            exchange.getMessage().setHeader(ParleyHeaders.AUDIO_FOR, step);
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
