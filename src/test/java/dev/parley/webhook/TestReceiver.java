package dev.parley.webhook;

import com.standardwebhooks.Webhook;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Standard Webhooks receiver as a customer would write one: it verifies the signature with the library
 * (which also refuses timestamps more than 5 minutes off) and, like a strict receiver, refuses timestamps older
 * than its own {@link #tolerance}, which tests shorten to a few seconds to prove that retries are re-signed.
 * It can be told to fail with a status for a while, and records every request it saw.
 */
final class TestReceiver implements AutoCloseable {

    /** One request as received. */
    record Seen(String id, long timestamp, String signature, String contentType, String body, int status,
                Instant receivedAt) {
        boolean accepted() {
            return status >= 200 && status < 300;
        }
    }

    private final Webhook verifier;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    final Map<String, AtomicInteger> acceptedById = new ConcurrentHashMap<>();
    volatile Duration tolerance = Duration.ofMinutes(5);
    volatile int failStatus;
    volatile String failBody = "";
    volatile Instant failUntil = Instant.MIN;

    private TestReceiver(String secret, int port) throws Exception {
        this.verifier = new Webhook(secret);
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        server.createContext("/hook", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    static TestReceiver start(String secret) throws Exception {
        return new TestReceiver(secret, 0);
    }

    static TestReceiver startOn(String secret, int port) throws Exception {
        return new TestReceiver(secret, port);
    }

    static String newSecret() {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        return "whsec_" + Base64.getEncoder().encodeToString(key);
    }

    /** A loopback port on which nothing listens (connection refused), free for a receiver to take later. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    /** Answer every request with this status until the given instant. */
    void failUntil(Instant until, int status, String body) {
        failStatus = status;
        failBody = body;
        failUntil = until;
    }

    void failAlways(int status, String body) {
        failUntil(Instant.MAX, status, body);
    }

    List<Seen> accepted() {
        return seen.stream().filter(Seen::accepted).toList();
    }

    List<Seen> attemptsFor(String id) {
        List<Seen> out = new ArrayList<>();
        for (Seen s : seen) {
            if (id.equals(s.id())) {
                out.add(s);
            }
        }
        return out;
    }

    private void handle(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Headers headers = exchange.getRequestHeaders();
        String id = headers.getFirst("webhook-id");
        String ts = headers.getFirst("webhook-timestamp");
        long timestamp = ts == null ? -1 : parse(ts);
        int status;
        String answer;
        if (Instant.now().isBefore(failUntil)) {
            status = failStatus;
            answer = failBody;
        } else {
            status = 204;
            answer = "";
            try {
                verifier.verify(body, headers); // the library: signature, and timestamp within 5 minutes
                long age = Instant.now().getEpochSecond() - timestamp;
                if (age > tolerance.toSeconds() || -age > tolerance.toSeconds()) {
                    status = 401;
                    answer = "timestamp outside tolerance: " + age + " s old";
                }
            } catch (Exception e) {
                status = 401;
                answer = "signature rejected: " + e.getMessage();
            }
        }
        seen.add(new Seen(id, timestamp, headers.getFirst("webhook-signature"), headers.getFirst("Content-Type"),
                body, status, Instant.now()));
        if (status >= 200 && status < 300 && id != null) {
            acceptedById.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        }
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static long parse(String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
