package dev.parley.testing;

import dev.parley.Parley;
import dev.parley.session.SessionRegistry;
import org.apache.camel.main.Main;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** A real Parley, started in this JVM on a free loopback port, with settings overridden for a test. */
public final class ParleyServer implements AutoCloseable {

    private final Main main;
    private final int port;
    private final Path archive;
    private final Path webhooks;
    private final SSLContext trust;

    private ParleyServer(Main main, int port, Path archive, Path webhooks, SSLContext trust) {
        this.main = main;
        this.port = port;
        this.archive = archive;
        this.webhooks = webhooks;
        this.trust = trust;
    }

    public static ParleyServer start(Map<String, String> overrides) throws Exception {
        return start(overrides, null);
    }

    /**
     * A Parley serving HTTPS and WSS when {@code trust} is given (the overrides then name
     * {@code parley.tls.cert} and {@code .key}): its addresses are {@code https://} and {@code wss://},
     * and its clients trust what {@code trust} trusts.
     */
    public static ParleyServer start(Map<String, String> overrides, SSLContext trust) throws Exception {
        int port = freePort();
        Map<String, String> settings = new HashMap<>();
        settings.put("parley.port", Integer.toString(port));
        settings.put("parley.host", "127.0.0.1");
        // Tests open many connections a second from one address: a load raises the limits, it does
        // not switch authentication off.
        settings.put("parley.auth.rate-limit.per-minute", "100000");
        settings.put("parley.auth.rate-limit.burst", "10000");
        settings.put("parley.auth.max-anonymous-per-address", "10000");
        // Tests send audio faster than real time, to be quick: a test of that bound sets it back.
        settings.put("parley.session.max-ahead-ms", "3600000");
        // Two decoders warm is enough for most tests, and spares the CPU the others would cost.
        settings.put("parley.recognizer.pocketsphinx.warm-decoders", "2");
        // No warm-up (a test that is about the first sessions after a start turns it on), and a
        // state folder of its own: nothing learnt by one test's Parley reaches another's.
        settings.put("parley.recognizer.warmup", "false");
        settings.put("parley.state.dir", Files.createTempDirectory(Path.of("target"), "state").toString());
        settings.put("parley.archive.dir", Files.createTempDirectory(Path.of("target"), "archive").toString());
        settings.put("parley.webhooks.dir", Files.createTempDirectory(Path.of("target"), "webhooks").toString());
        settings.putAll(overrides);
        Main main = Parley.create(settings);
        main.start();
        ParleyServer server = new ParleyServer(main, port, Path.of(settings.get("parley.archive.dir")),
                Path.of(settings.get("parley.webhooks.dir")), trust);
        server.awaitReady(Duration.ofSeconds(60));
        return server;
    }

    public int port() { return port; }

    /** A new HTTP client (and WebSocket builder) for this server: trusting its certificate when it has one. */
    public HttpClient client() {
        return trust == null ? HttpClient.newHttpClient() : HttpClient.newBuilder().sslContext(trust).build();
    }

    /** A WebSocket address with a fresh token from {@code /api/realtime-token}, as a browser would use. */
    public URI ws(String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<String> response = client().send(HttpRequest.newBuilder(http("/api/realtime-token"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("token endpoint answered " + response.statusCode() + ": " + response.body());
        }
        String token = new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body()).path("token").asText();
        return wsWithoutToken(pathAndQuery + (pathAndQuery.contains("?") ? "&" : "?") + "token=" + token);
    }

    /** A WebSocket address as given, with no token. */
    public URI wsWithoutToken(String pathAndQuery) {
        return URI.create((trust == null ? "ws" : "wss") + "://127.0.0.1:" + port + pathAndQuery);
    }

    public URI http(String path) {
        return URI.create((trust == null ? "http" : "https") + "://127.0.0.1:" + port + path);
    }

    /** The archive's root folder. */
    public Path archive() { return archive; }

    /** The webhook spool folder (pending deliveries, dead/ letters). */
    public Path webhooks() { return webhooks; }

    /** The running Camel, for a test that reaches one of Parley's beans (the erasure, say). */
    public org.apache.camel.CamelContext camel() {
        return main.getCamelContext();
    }

    public SessionRegistry sessions() {
        return main.getCamelContext().hasService(SessionRegistry.class);
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client().send(HttpRequest.newBuilder(http(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (get("/observe/health/ready").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYetListening) {
                // the server is still starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("Parley did not become ready within " + timeout);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        main.stop();
    }
}
