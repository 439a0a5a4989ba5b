package dev.parley.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import com.standardwebhooks.Webhook;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A webhook receiver on loopback, as a customer would run one: it verifies each request's Standard
 * Webhooks signature with the library (which rejects timestamps older than 5 minutes) and keeps what
 * verified, in the order it arrived. It can be told to answer 503, or any other status, for a while,
 * and be started on a port chosen beforehand (so that it can be down, then come up).
 */
public final class WebhookReceiver implements AutoCloseable {

    public static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A request that verified: its headers' id and the event it carried. */
    public record Delivery(String webhookId, long timestamp, JsonNode event) {
    }

    private final HttpServer server;
    private final Webhook verifier;
    private final List<Delivery> verified = new CopyOnWriteArrayList<>();
    private final List<String> rejected = new CopyOnWriteArrayList<>();
    private volatile int failWith;
    private final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();

    public WebhookReceiver() throws Exception {
        this(0);
    }

    /** A receiver on this port of 127.0.0.1 (0: any free one). */
    public WebhookReceiver(int port) throws Exception {
        verifier = new Webhook(SECRET);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            requests.incrementAndGet();
            int status;
            if (failWith != 0) {
                status = failWith;
            } else {
                status = receive(new String(body, StandardCharsets.UTF_8), exchange.getRequestHeaders());
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    private int receive(String body, Map<String, List<String>> headers) throws IOException {
        try {
            verifier.verify(body, lowerCase(headers));
        } catch (Exception e) {
            rejected.add(e.getMessage());
            return 400;
        }
        Map<String, List<String>> h = lowerCase(headers);
        verified.add(new Delivery(h.get("webhook-id").get(0), Long.parseLong(h.get("webhook-timestamp").get(0)),
                JSON.readTree(body)));
        return 204;
    }

    private static Map<String, List<String>> lowerCase(Map<String, List<String>> headers) {
        Map<String, List<String>> out = new java.util.HashMap<>();
        headers.forEach((k, v) -> out.put(k.toLowerCase(java.util.Locale.ROOT), v));
        return out;
    }

    public String url() {
        return url(server.getAddress().getPort());
    }

    /** The URL a receiver on this port has. */
    public static String url(int port) {
        return "http://127.0.0.1:" + port + "/hook";
    }

    /** A port free now on 127.0.0.1, for a receiver that comes up later. */
    public static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** While failing, every request gets 503 and nothing is kept. */
    public void failing(boolean failing) {
        failWith(failing ? 503 : 0);
    }

    /** Every request gets this status and nothing is kept; 0: verify and keep again. */
    public void failWith(int status) {
        this.failWith = status;
    }

    /** Requests received, whatever the answer. */
    public int requests() {
        return requests.get();
    }

    public List<Delivery> verified() {
        return new ArrayList<>(verified);
    }

    public List<String> rejected() {
        return new ArrayList<>(rejected);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
