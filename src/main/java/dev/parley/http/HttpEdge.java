package dev.parley.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * What Parley refuses at the HTTP edge, before any endpoint sees it: a request whose body a proxy in
 * front could frame differently (RFC 9112 section 6.3); a request without exactly one valid
 * {@code Host} (section 3.2), or whose target is not a path or does not decode, which the router
 * would fail on with an error logged (with its stack trace for a bad escape); and WebSocket protocol
 * violations, answered with the close code of RFC 6455 rather than a bare TCP close.
 *
 * <p>Framing and WebSocket violations need Vert.x's Netty pipeline (its {@code impl} classes), as no
 * public option reaches them: Netty's request decoder silently drops {@code Content-Length} when
 * {@code Transfer-Encoding: chunked} is present, and ignores a transfer coding it does not know
 * (reading no body, so the body is read as the next request); Vert.x configures Netty's WebSocket
 * decoder not to send a close frame on a violation, then closes the socket. {@code HttpEdgeTest}
 * and {@code WebSocketViolationsTest} hold these to account on each Vert.x upgrade.
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

    /** The refusal for a request Netty's decoder could not take, or {@link StrictRequestDecoder} refused. */
    static Refusal invalid(Throwable cause) {
        if (cause instanceof Framing framing) {
            return new Refusal(framing.status, framing.getMessage());
        }
        if (cause instanceof TooLongHttpLineException) {
            return new Refusal(414, "the request line is too long");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return new Refusal(431, "the request headers are too large");
        }
        return new Refusal(400, "the request is not valid HTTP/1.1");
    }

    /**
     * Sets up a new connection's pipeline. Vert.x calls it before the connection reads anything when
     * cleartext HTTP/2 is off; with it on, an HTTP/1 connection is set up while its first request is
     * being decoded, so its decoder is left as it is.
     */
    static void install(HttpConnection connection, HttpServerOptions options) {
        if (!(connection instanceof ConnectionBase base)) {
            return;
        }
        ChannelPipeline pipeline = base.channelHandlerContext().pipeline();
        if (pipeline.get("httpDecoder") == null || pipeline.get("handler") == null) {
            return; // not an HTTP/1 connection
        }
        if (!options.isHttp2ClearTextEnabled()) {
            pipeline.replace("httpDecoder", "httpDecoder", new StrictRequestDecoder(options));
        }
        pipeline.addBefore("handler", "parleyWebSocketViolations", new WebSocketViolations());
    }

    /** A request whose body's length is ambiguous or unknown. Without a stack trace: it is the client's doing. */
    static final class Framing extends IllegalArgumentException {
        final int status;

        Framing(int status, String message) {
            super(message);
            this.status = status;
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /**
     * Vert.x's request decoder, refusing what Netty lets through: {@code Content-Length} together
     * with {@code Transfer-Encoding} (400: a proxy may have framed the body by the other one), and
     * any transfer coding but {@code chunked} (501). The request then goes to the server's
     * invalid-request handler, which answers and closes the connection; nothing after it on the
     * connection is decoded. {@link #isContentAlwaysEmpty} is the one hook Netty calls with a
     * request's headers before it decides how the body is framed.
     */
    static final class StrictRequestDecoder extends VertxHttpRequestDecoder {

        StrictRequestDecoder(HttpServerOptions options) {
            super(options);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage message) {
            HttpHeaders headers = message.headers();
            List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
            if (!codings.isEmpty()) {
                if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                    throw new Framing(400, "Content-Length and Transfer-Encoding together: the body's length is ambiguous");
                }
                String coding = String.join(",", codings).trim().toLowerCase(Locale.ROOT);
                if (!coding.equals("chunked")) {
                    throw new Framing(501, "Transfer-Encoding " + (coding.length() > 40 ? coding.substring(0, 40) + "..." : coding)
                            + " is not supported; only chunked is");
                }
            }
            return super.isContentAlwaysEmpty(message);
        }
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
