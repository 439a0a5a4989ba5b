package dev.parley.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.standardwebhooks.Webhook;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Real HTTP to a local receiver, real files in a temp spool. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WebhookDeliveryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String secret = TestReceiver.newSecret();

    @TempDir
    Path dir;

    private WebhookSettings settings(String... urls) {
        return WebhookSettings.of(List.of(urls), secret, dir)
                .withRetries(30, Duration.ofMillis(100), Duration.ofMillis(400))
                .withRequestTimeout(Duration.ofSeconds(3));
    }

    static String payload(String id) {
        return "{\"type\":\"transcript.final\",\"event_id\":\"" + id + "\",\"text\":\"¿Dónde está la estación? 駅はどこ — ok\"}";
    }

    @Test
    void everyEventReachesTheReceiverExactlyOncePerIdAndItsSignatureVerifiesWithTheLibrary() throws Exception {
        try (TestReceiver receiver = TestReceiver.start(secret);
             WebhookDispatcher dispatcher = new WebhookDispatcher(settings(receiver.url()).withConcurrency(4), TestCamel.CONTEXT)) {
            dispatcher.start();
            int events = 40;
            for (int i = 0; i < events; i++) {
                dispatcher.enqueue("evt_" + i, "transcript.final", payload("evt_" + i));
            }
            await(Duration.ofSeconds(15), () -> dispatcher.delivered() == events,
                    () -> "delivered " + dispatcher.delivered() + " of " + events);

            assertEquals(events, receiver.acceptedById.size());
            receiver.acceptedById.forEach((id, count) -> assertEquals(1, count.get(), "deliveries of " + id));
            // Not one request was refused: every signature and timestamp verified the first time.
            assertEquals(events, receiver.seen.size(), "requests seen");
            for (TestReceiver.Seen seen : receiver.seen) {
                assertTrue(seen.accepted(), "refused: " + seen);
                assertEquals(payload(seen.id()), seen.body(), "payload is posted byte for byte");
                assertEquals("application/json", seen.contentType());
                assertTrue(seen.signature().startsWith("v1,"), seen.signature());
            }
            assertEquals(0, dispatcher.pending());
            assertEquals(0, dispatcher.retried());
            assertEquals(List.of(), list(dir.resolve("pending")));
        }
    }

    @Test
    void theTestReceiverRefusesTamperedBodiesAndTimestampsOlderThanItsTolerance() throws Exception {
        try (TestReceiver receiver = TestReceiver.start(secret)) {
            receiver.tolerance = Duration.ofSeconds(2);
            Webhook signer = new Webhook(secret);
            HttpClient client = HttpClient.newHttpClient();
            long now = Instant.now().getEpochSecond();
            String body = payload("evt_x");

            assertEquals(204, post(client, receiver.url(), "evt_x", now, signer.sign("evt_x", now, body), body));
            assertEquals(401, post(client, receiver.url(), "evt_x", now, signer.sign("evt_x", now, body),
                    body.replace("ok", "ko")), "tampered body");
            assertEquals(401, post(client, receiver.url(), "evt_x", now - 4, signer.sign("evt_x", now - 4, body), body),
                    "signed 4 s ago, tolerance 2 s");
            assertEquals(401, post(client, receiver.url(), "evt_x", now - 400, signer.sign("evt_x", now - 400, body),
                    body), "the library's own 5-minute limit");
        }
    }

    @Test
    void retriesAreReSignedSoTheyPassAReceiverToleranceShorterThanTheOutage() throws Exception {
        int port = TestReceiver.freePort();
        String url = "http://127.0.0.1:" + port + "/hook";
        long enqueuedAt = Instant.now().getEpochSecond();
        try (WebhookDispatcher dispatcher = new WebhookDispatcher(settings(url), TestCamel.CONTEXT)) {
            dispatcher.start();
            List<String> ids = List.of("evt_a", "evt_b", "evt_c");
            for (String id : ids) {
                dispatcher.enqueue(id, "transcript.final", payload(id));
            }
            // Phase 1: nothing listens (connection refused).
            await(Duration.ofSeconds(5), () -> dispatcher.retried() >= 3, () -> "retried " + dispatcher.retried());
            Thread.sleep(1000);
            // Phase 2: the receiver is up but answers 503 until the outage ends; it refuses anything signed
            // more than 2 s before it arrives, so only a freshly signed attempt can get through.
            // The 503 phase is timed from the receiver's start, so it lasts long enough for the probe to
            // be retried however long phase 1 took.
            Instant outageEnds = Instant.now().plusMillis(3500);
            try (TestReceiver receiver = TestReceiver.startOn(secret, port)) {
                receiver.tolerance = Duration.ofSeconds(2);
                receiver.failUntil(outageEnds, 503, "down for maintenance");
                await(Duration.ofSeconds(15), () -> dispatcher.delivered() == ids.size(),
                        () -> "delivered " + dispatcher.delivered() + ", receiver answered "
                                + receiver.seen.stream().map(TestReceiver.Seen::status).toList());

                assertTrue(receiver.seen.stream().anyMatch(s -> s.status() == 503), "the 503 phase was exercised");
                for (String id : ids) {
                    assertEquals(1, receiver.acceptedById.get(id).get(), id);
                    List<TestReceiver.Seen> attempts = receiver.attemptsFor(id);
                    TestReceiver.Seen ok = attempts.get(attempts.size() - 1);
                    assertTrue(ok.accepted());
                    assertTrue(ok.timestamp() - enqueuedAt >= 3,
                            "successful attempt is stamped at its own time, " + (ok.timestamp() - enqueuedAt)
                                    + " s after the event was enqueued (more than the 2 s tolerance)");
                    Set<String> signatures = new HashSet<>();
                    attempts.forEach(a -> signatures.add(a.signature()));
                    assertEquals(attempts.stream().map(TestReceiver.Seen::timestamp).distinct().count(), signatures.size(),
                            "each retry is signed at its own time (attempts in one second share it): " + attempts);
                }
                // While the receiver was down one delivery tested it (the oldest: the three were enqueued in
                // the same instant, so which one that is may vary); the others waited, unattempted.
                List<TestReceiver.Seen> first = ids.stream().map(receiver::attemptsFor)
                        .max(java.util.Comparator.comparingInt(List::size)).orElseThrow();
                assertTrue(first.size() > 1, "the 503 phase was retried: " + first);
                assertNotEquals(first.get(0).timestamp(), first.get(first.size() - 1).timestamp());
                assertEquals(0, dispatcher.pending());
            }
        }
    }

    @Test
    void deliveriesPendingAtCloseAreDeliveredByANewDispatcherOverTheSameSpool() throws Exception {
        try (TestReceiver receiver = TestReceiver.start(secret)) {
            receiver.failAlways(503, "down");
            WebhookSettings settings = settings(receiver.url());
            List<String> ids = List.of("evt_1", "evt_2", "evt_3", "evt_4", "evt_5");

            WebhookDispatcher first = new WebhookDispatcher(settings, TestCamel.CONTEXT);
            first.start();
            for (String id : ids) {
                first.enqueue(id, "transcript.final", payload(id));
            }
            await(Duration.ofSeconds(5), () -> first.retried() >= ids.size(), () -> "retried " + first.retried());
            long closing = System.nanoTime();
            first.close();
            assertTrue(Duration.ofNanos(System.nanoTime() - closing).toMillis() < 2000, "close() is prompt");
            assertThrows(IllegalStateException.class, () -> first.enqueue("evt_late", "x", "{}"));

            List<Path> files = list(dir.resolve("pending"));
            assertEquals(ids.size(), files.size(), "every undelivered event stays on disk: " + files);
            JsonNode one = JSON.readTree(files.get(0).toFile());
            assertTrue(one.get("attempts").asInt() >= 1, "attempts are persisted: " + one);
            assertEquals(503, one.get("last_failure").get("status").asInt());
            assertTrue(one.hasNonNull("next_attempt_at"));
            int seenAtClose = receiver.seen.size();
            Thread.sleep(500);
            assertEquals(seenAtClose, receiver.seen.size(), "nothing is sent after close()");

            receiver.failUntil(Instant.MIN, 0, "");
            try (WebhookDispatcher second = new WebhookDispatcher(settings, TestCamel.CONTEXT)) {
                assertEquals(0, second.pending());
                second.start();
                await(Duration.ofSeconds(10), () -> second.delivered() == ids.size(),
                        () -> "delivered after restart " + second.delivered());
                for (String id : ids) {
                    assertEquals(1, receiver.acceptedById.get(id).get(), id);
                }
                assertEquals(0, second.pending());
                assertEquals(List.of(), list(dir.resolve("pending")));
            }
        }
    }

    @Test
    void aReceiverThatAlwaysFailsEndsInDeadLettersWithPayloadAndReasonAfterMaxAttempts() throws Exception {
        String refusing = "http://127.0.0.1:" + TestReceiver.freePort() + "/hook";
        try (TestReceiver receiver = TestReceiver.start(secret);
             WebhookDispatcher dispatcher = new WebhookDispatcher(settings(receiver.url(), refusing)
                     .withRetries(3, Duration.ofMillis(20), Duration.ofMillis(50)), TestCamel.CONTEXT)) {
            receiver.failAlways(500, "boom: database unavailable\n\tat com.example.Handler");
            dispatcher.start();
            dispatcher.enqueue("evt_d1", "transcript.final", payload("evt_d1"));
            dispatcher.enqueue("evt_d2", "translation.final", payload("evt_d2"));
            await(Duration.ofSeconds(10), () -> dispatcher.dead() == 4, () -> "dead " + dispatcher.dead());

            for (String id : List.of("evt_d1", "evt_d2")) {
                assertEquals(3, receiver.attemptsFor(id).size(), "attempts seen for " + id);

                Path letter = dir.resolve("dead").resolve(id + "." + Spool.urlHash(receiver.url()) + ".json");
                JsonNode node = JSON.readTree(letter.toFile());
                assertEquals(payload(id), node.get("payload").asText());
                assertEquals(receiver.url(), node.get("url").asText());
                assertEquals(id, node.get("event_id").asText());
                assertEquals(3, node.get("attempts").asInt());
                assertEquals(500, node.get("last_failure").get("status").asInt());
                assertTrue(node.get("last_failure").get("body").asText().startsWith("boom: database unavailable"));
                assertTrue(node.get("reason").asText().startsWith("HTTP 500: boom"), node.toString());

                Path refused = dir.resolve("dead").resolve(id + "." + Spool.urlHash(refusing) + ".json");
                JsonNode refusedNode = JSON.readTree(refused.toFile());
                assertEquals(payload(id), refusedNode.get("payload").asText());
                assertEquals(3, refusedNode.get("attempts").asInt());
                assertTrue(refusedNode.get("reason").asText().contains("ConnectException"), refusedNode.toString());
            }
            assertEquals(0, dispatcher.pending());
            assertEquals(8, dispatcher.retried());
            assertEquals(0, dispatcher.delivered());
            assertEquals(List.of(), list(dir.resolve("pending")));
            assertFalse(Files.readString(dir.resolve("dead").resolve("evt_d1." + Spool.urlHash(refusing) + ".json"))
                    .contains(secret.substring(6)), "the secret is never written to the spool");
        }
    }

    @Test
    void oneUnreachableUrlDoesNotDelayAnotherAndEnqueueNeverWaitsForTheNetwork() throws Exception {
        try (TestReceiver receiver = TestReceiver.start(secret); BlackHole hole = new BlackHole()) {
            WebhookDispatcher dispatcher = new WebhookDispatcher(settings(hole.url(), receiver.url())
                    .withConcurrency(1).withRequestTimeout(Duration.ofSeconds(5)), TestCamel.CONTEXT);
            try {
                dispatcher.start();
                List<String> ids = List.of("evt_p1", "evt_p2", "evt_p3", "evt_p4", "evt_p5");
                Map<String, Instant> enqueued = new HashMap<>();
                long start = System.nanoTime();
                for (String id : ids) {
                    enqueued.put(id, Instant.now());
                    dispatcher.enqueue(id, "transcript.final", payload(id));
                }
                long enqueueMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertTrue(enqueueMillis < 1000, "5 enqueues took " + enqueueMillis + " ms");

                await(Duration.ofSeconds(3), () -> receiver.accepted().size() == ids.size(),
                        () -> "healthy receiver got " + receiver.accepted().size());
                for (TestReceiver.Seen seen : receiver.accepted()) {
                    long lag = Duration.between(enqueued.get(seen.id()), seen.receivedAt()).toMillis();
                    assertTrue(lag < 2000, seen.id() + " reached the healthy URL after " + lag + " ms");
                }
                await(Duration.ofSeconds(3), () -> hole.connections.get() >= 1, () -> "black hole never called");
                // The healthy deliveries leave the spool once their 2xx is in; the black hole's stay.
                await(Duration.ofSeconds(3), () -> dispatcher.pending() == ids.size(),
                        () -> "pending " + dispatcher.pending() + ", expected only the black hole's " + ids.size());
            } finally {
                long closing = System.nanoTime();
                dispatcher.close();
                long closeMillis = Duration.ofNanos(System.nanoTime() - closing).toMillis();
                assertTrue(closeMillis < 2000, "close() with a request hanging took " + closeMillis + " ms");
            }
            List<Path> left = list(dir.resolve("pending"));
            assertEquals(5, left.size());
            left.forEach(p -> assertTrue(p.getFileName().toString().contains(Spool.urlHash(hole.url())), p.toString()));
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    static int post(HttpClient client, String url, String id, long timestamp, String signature, String body)
            throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .header("webhook-id", id)
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", signature)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    static List<Path> list(Path folder) throws Exception {
        try (Stream<Path> files = Files.list(folder)) {
            return new ArrayList<>(files.sorted().toList());
        }
    }

    static void await(Duration max, BooleanSupplier condition, Supplier<String> state) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not reached within " + max + ": " + state.get());
            }
            Thread.sleep(20);
        }
    }
}
