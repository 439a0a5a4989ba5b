package dev.parley.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What Parley refuses at the HTTP edge, before any endpoint sees it: a request without exactly one
 * valid {@code Host} (RFC 9112 section 3.2), or whose target is not a path or does not decode, which
 * the router would fail on with an error logged (with its stack trace for a bad escape); and WebSocket protocol violations, answered with the
 * close code of RFC 6455 rather than a bare TCP close.
 *
 * <p>This needs Vert.x's Netty pipeline (its {@code impl} classes), as no public option reaches it:
 * Vert.x configures Netty's WebSocket decoder not to send a close frame on a violation, then closes
 * the socket. {@code WebSocketViolationsTest} holds this to account on each Vert.x upgrade.
 */
final class HttpEdge {

    private HttpEdge() {
    }

    /** A request refused: its status and a reason for the client. */
    record Refusal(int status, String reason) {
    }

    /** Null when the request may go on to the router, else why not. */
    static Refusal check(HttpServerRequest request) {
        if (request.version() != HttpVersion.HTTP_2) {
            List<String> hosts = request.headers().getAll("Host");
            if (hosts.size() != 1) {
                return new Refusal(400, hosts.isEmpty() ? "a request needs a Host header" : "a request must have exactly one Host header");
            }
            if (request.authority() == null) {
                return new Refusal(400, "the Host header is not a host and port");
            }
        }
        if (request.path() == null || !request.path().startsWith("/")) {
            return new Refusal(400, "the request target must be a path");
        }
        try {
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            uri.path();
            uri.parameters();
        } catch (IllegalArgumentException e) {
            return new Refusal(400, "the request URI is not valid percent-encoding");
        }
        return null;
    }

    /** Sets up a new connection's pipeline; Vert.x calls it before the connection reads anything. */
    static void install(HttpConnection connection) {
        if (!(connection instanceof ConnectionBase base)) {
            return;
        }
        ChannelPipeline pipeline = base.channelHandlerContext().pipeline();
        if (pipeline.get("httpDecoder") == null || pipeline.get("handler") == null) {
            return; // not an HTTP/1 connection
        }
        pipeline.addBefore("handler", "parleyWebSocketViolations", new WebSocketViolations());
    }

    /**
     * Answers a WebSocket protocol violation that Netty's decoder found (reserved bits or opcodes,
     * an unmasked frame, a control frame over 125 bytes, an invalid close code: 1002; a frame over
     * the size limit: 1009) with a close frame of that code, then closes the connection.
     */
    static final class WebSocketViolations extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof CorruptedWebSocketFrameException violation) {
                // Closed from here, not through the channel: Vert.x would turn a close of the channel
                // into a closing handshake of its own and wait for the client's answer.
                ctx.writeAndFlush(new CloseWebSocketFrame(violation.closeStatus().code(), reason(violation)))
                        .addListener(written -> ctx.close());
                return; // not passed on: Vert.x would close the socket at once, before the close frame is out
            }
            ctx.fireExceptionCaught(cause);
        }

        /** The reason of a close frame is at most 123 bytes of UTF-8. */
        private static String reason(CorruptedWebSocketFrameException violation) {
            String reason = violation.getMessage() != null ? violation.getMessage() : violation.closeStatus().reasonText();
            while (reason.getBytes(StandardCharsets.UTF_8).length > 123) {
                reason = reason.substring(0, reason.length() - 1);
            }
            return reason;
        }
    }
}
