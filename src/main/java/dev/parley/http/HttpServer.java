package dev.parley.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.ext.web.Router;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Parley's one HTTP port: WebSockets, APIs and health. Parley runs its own Vert.x server rather
 * than Camel's platform-http server because that one fixes the WebSocket limits at Vert.x's
 * defaults (a frame over 64 KiB drops the connection with no close frame) and offers
 * permessage-deflate, which OpenAI's Java SDK refuses. {@link HttpEdge} answers WebSocket protocol
 * violations with their close code, and refuses requests no endpoint should see before the router;
 * refusals are logged in one line at most every 10 seconds.
 *
 * <p>With a certificate it serves HTTPS and WSS only, on the same port: a cleartext client's first bytes
 * are not a TLS record, so the connection is closed at once.
 */
public final class HttpServer extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);
    /** Older versions are broken or deprecated (RFC 8996); every current client speaks 1.2 or 1.3. */
    static final Set<String> TLS_PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");

    private final String host;
    private final int port;
    private final int maxMessageBytes;
    private final boolean h2c;
    private final TlsReloader tls;
    private final RefusalLog refusals = new RefusalLog(LOG, 10);
    private final Set<HttpConnection> refusedConnections = ConcurrentHashMap.newKeySet();
    private Vertx vertx;
    private Router router;
    private io.vertx.core.http.HttpServer server;

    /**
     * @param maxMessageBytes the largest WebSocket message, all its frames together (so also the
     *                        largest frame); a larger frame is answered with close code 1009 here,
     *                        a larger message by the endpoint
     * @param h2c             whether cleartext HTTP/2 is served (prior knowledge, or {@code Upgrade: h2c})
     * @param tls             the certificate to serve HTTPS and WSS with, or null for cleartext
     */
    public HttpServer(String host, int port, int maxMessageBytes, boolean h2c, TlsReloader tls) {
        this.host = host;
        this.port = port;
        this.maxMessageBytes = maxMessageBytes;
        this.h2c = h2c;
        this.tls = tls;
    }

    /** The largest WebSocket message an endpoint takes, fragments included. */
    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    /** The router endpoints add themselves to; usable before the server starts. */
    public synchronized Router router() {
        if (router == null) {
            vertx = Vertx.vertx();
            router = Router.router(vertx);
        }
        return router;
    }

    /** The Vert.x instance behind the server, for work that must leave the event loop. */
    public Vertx vertx() {
        router();
        return vertx;
    }

    /** The port the server listens on (the configured one, or the one chosen for port 0). */
    public int port() {
        return server != null ? server.actualPort() : port;
    }

    @Override
    protected void doStart() throws Exception {
        HttpServerOptions options = new HttpServerOptions()
                .setHost(host)
                .setPort(port)
                .setMaxWebSocketFrameSize(maxMessageBytes)
                .setMaxWebSocketMessageSize(maxMessageBytes)
                .setPerMessageWebSocketCompressionSupported(false)
                .setPerFrameWebSocketCompressionSupported(false)
                .setHttp2ClearTextEnabled(h2c);
        if (tls != null) {
            // One key manager for good, serving whichever certificate is current: rotation needs no
            // server update (see RotatingKeyManager).
            options.setSsl(true).setKeyCertOptions(KeyCertOptions.wrap(tls.keyManager()))
                    .setEnabledSecureTransportProtocols(TLS_PROTOCOLS);
        }
        Router routes = router();
        server = vertx.createHttpServer(options)
                .connectionHandler(connection -> HttpEdge.install(connection, options))
                .invalidRequestHandler(request -> refuse(request, HttpEdge.invalid(request.decoderResult().cause())))
                .requestHandler(request -> {
                    if (refusedConnections.contains(request.connection())) {
                        // A request pipelined behind a refused one: what follows on it cannot be trusted.
                        request.connection().close();
                        return;
                    }
                    HttpEdge.Refusal refusal = HttpEdge.check(request);
                    if (refusal == null) {
                        routes.handle(request);
                    } else {
                        refuse(request, refusal);
                    }
                })
                // Failures before a connection is up (a cleartext client on the TLS port, a failed
                // handshake): one line at debug, for whoever looks into a client that cannot connect.
                .exceptionHandler(e -> LOG.debug("Connection failed: {}", String.valueOf(e)));
        server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        if (tls != null) {
            tls.watch();
            LOG.info("Parley serves {} (HTTPS and WSS only, TLS 1.2 and 1.3, on {}:{}); certificate {}",
                    url(), host, port(), tls.current().describe());
        } else {
            LOG.info("Parley serves {} (cleartext HTTP and WS, on {}:{})", url(), host, port());
        }
    }

    /** True when this server speaks HTTPS and WSS only. */
    public boolean secure() {
        return tls != null;
    }

    /** The address this process reaches its own server at: loopback when bound to every address. */
    public String ownAddress() {
        boolean everywhere = host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
        return everywhere ? "127.0.0.1" : host;
    }

    /**
     * The address to give people: the bound one; when bound to every address, the first name the
     * certificate holds, else {@code localhost}.
     */
    public String url() {
        boolean everywhere = host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
        String name = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        if (everywhere) {
            List<String> names = tls == null ? List.of() : TlsCertificate.names(tls.current().leaf());
            name = names.stream().filter(n -> !n.startsWith("*")).findFirst().orElse("localhost");
            name = name.contains(":") ? "[" + name + "]" : name;
        }
        return (tls != null ? "https://" : "http://") + name + ":" + port() + "/";
    }

    /** Answers with the refusal's status and reason, and closes the connection: what follows on it cannot be trusted. */
    private void refuse(HttpServerRequest request, HttpEdge.Refusal refusal) {
        refusals.refused(request.remoteAddress(), refusal.status(), refusal.reason());
        // Marked before the answer ends: Vert.x may hand over the next pipelined request as it does.
        HttpConnection connection = request.connection();
        if (refusedConnections.add(connection)) {
            connection.closeHandler(closed -> refusedConnections.remove(connection));
        }
        request.response().setStatusCode(refusal.status()).putHeader("Content-Type", "text/plain; charset=utf-8")
                .putHeader("Connection", "close").end(refusal.reason() + "\n");
        request.response().close();
    }

    @Override
    protected void doStop() throws Exception {
        if (tls != null) {
            tls.close();
        }
        if (server != null) {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
