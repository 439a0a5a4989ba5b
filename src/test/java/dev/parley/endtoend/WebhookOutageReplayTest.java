package dev.parley.endtoend;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.Exposition;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
import dev.parley.testing.WebhookReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Webhooks through a receiver outage longer than the old schedule lasted, and dead letters sent again, with the
 * Standard Webhooks library verifying every request and a real session producing the events.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WebhookOutageReplayTest {

    private static final Set<String> SENT = Set.of("session.created", "transcript.final", "translation.final", "session.closed");
    private static final String API_KEY = "replay-test-key-0123456789";

    /**
     * A short schedule (0.1 s doubling to 1 s) stands for the default one (1 s doubling to hourly). The old default
     * of 8 attempts would have given up 2.3-4.5 s into the outage; the receiver stays down for 10 s.
     */
    @Test
    void aReceiverDownLongerThanTheOldScheduleGetsEveryEventVerifiedOnceAndInOrderWhenItIsBack() throws Exception {
        int port = WebhookReceiver.freePort();
        String url = WebhookReceiver.url(port);
        Map<String, String> settings = settings(url);
        settings.put("parley.webhooks.initial-backoff-ms", "100");
        settings.put("parley.webhooks.max-backoff-ms", "1000");
        settings.put("parley.webhooks.give-up-after-s", "120");
        settings.put("parley.webhooks.concurrency", "1");
        try (ParleyServer parley = ParleyServer.start(settings)) {
            long down = System.nanoTime();
            Map<String, String> events = session(parley, "0870", "0890");
            long left = TimeUnit.SECONDS.toNanos(10) - (System.nanoTime() - down);
            assertTrue(left > 0, "the session outlasted the outage");
            TimeUnit.NANOSECONDS.sleep(left);
            try (WebhookReceiver receiver = new WebhookReceiver(port)) {
                await(() -> receiver.verified().size() >= events.size(), Duration.ofSeconds(30),
                        () -> receiver.verified().size() + " of " + events.size());
                Thread.sleep(500); // anything more would be a duplicate
                List<WebhookReceiver.Delivery> got = receiver.verified();
                assertEquals(events.size(), got.size(), "each once");
                assertTrue(receiver.rejected().isEmpty(), "every signature verified: " + receiver.rejected());
                long previous = 0;
                for (WebhookReceiver.Delivery delivery : got) {
                    String id = delivery.event().path("event_id").asText();
                    assertEquals(id, delivery.webhookId(), "webhook-id is the event's id");
                    assertEquals(events.get(id), delivery.event().path("type").asText(), "an event of the session");
                    long seq = delivery.event().path("seq").asLong();
                    assertTrue(seq > previous, "in the order emitted: " + seq + " after " + previous);
                    previous = seq;
                }
            }
            assertEquals(0, count(parley.webhooks().resolve("dead")), "nothing dead-lettered");
            Exposition metrics = new Exposition(parley.get("/observe/metrics").body());
            String receiver = "receiver=\"127.0.0.1:" + port + "\"";
            assertEquals(events.size(), metrics.value("parley_webhook_delivered_total", receiver));
            assertEquals(0, metrics.value("parley_webhook_pending", receiver));
            assertEquals(0, metrics.value("parley_webhook_dead_letters", receiver));
            double failed = metrics.value("parley_webhook_failed_attempts_total", receiver);
            System.out.printf("%d events, %.0f failed attempts in the 10 s outage%n", events.size(), failed);
            // One delivery tested the receiver while it was down: about one attempt a second, not one per event.
            assertTrue(failed >= 5 && failed <= 25, "failed attempts: " + failed);
        }
    }

    @Test
    void deadLettersOfAReceiverThatRefusedThemArriveOnceEachAfterReplay() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            receiver.failWith(400);
            Map<String, String> settings = settings(receiver.url());
            settings.put("parley.webhooks.max-attempts", "2");
            settings.put("parley.webhooks.initial-backoff-ms", "50");
            try (ParleyServer parley = ParleyServer.start(settings)) {
                Map<String, String> events = session(parley, "0880");
                Path dead = parley.webhooks().resolve("dead");
                await(() -> count(dead) == events.size(), Duration.ofSeconds(20), () -> count(dead) + " dead letters");
                assertEquals(2L * events.size(), receiver.requests(), "two attempts each");
                receiver.failWith(0);

                assertEquals(401, replay(parley, "", null).statusCode(), "an API key is needed");
                HttpResponse<String> bad = replay(parley, "?from=yesterday", API_KEY);
                assertEquals(400, bad.statusCode());
                assertTrue(bad.body().contains("ISO-8601"), bad.body());

                long finals = events.values().stream().filter("transcript.final"::equals).count();
                assertTrue(finals >= 1);
                HttpResponse<String> some = replay(parley, "?type=transcript.final&receiver=127.0.0.1:"
                        + URI.create(receiver.url()).getPort(), API_KEY);
                assertEquals(200, some.statusCode(), some.body());
                assertEquals("{\"replayed\":" + finals + "}", some.body());
                HttpResponse<String> rest = replay(parley, "", API_KEY);
                assertEquals("{\"replayed\":" + (events.size() - finals) + "}", rest.body());
                await(() -> receiver.verified().size() >= events.size(), Duration.ofSeconds(20),
                        () -> receiver.verified().size() + " of " + events.size());
                Thread.sleep(500);
                assertEquals(events.size(), receiver.verified().size(), "each once");
                assertEquals(events.keySet(), Set.copyOf(receiver.verified().stream().map(WebhookReceiver.Delivery::webhookId).toList()));
                assertTrue(receiver.rejected().isEmpty(), receiver.rejected().toString());
                assertEquals(0, count(dead));
                assertEquals("{\"replayed\":0}", replay(parley, "", API_KEY).body());
                Exposition metrics = new Exposition(parley.get("/observe/metrics").body());
                assertEquals(events.size(), metrics.value("parley_webhook_replayed_total"));
                assertEquals(events.size(), metrics.value("parley_webhook_dead_lettered_total"));
                assertEquals(0, metrics.value("parley_webhook_dead_letters"));
            }
        }
    }

    private static Map<String, String> settings(String url) {
        Map<String, String> settings = new HashMap<>();
        settings.put("parley.webhooks.urls", url);
        settings.put("parley.webhooks.secret", WebhookReceiver.SECRET);
        settings.put("parley.auth.api-keys", API_KEY);
        settings.put("parley.tts.enabled", "false");
        // The recordings are sent faster than real time: the queue holds them all rather than dropping audio.
        settings.put("parley.session.max-queued-audio-ms", "60000");
        return settings;
    }

    /** Streams the recordings as one session translated into Spanish; returns its webhook events' ids and types. */
    private static Map<String, String> session(ParleyServer parley, String... recordings) throws Exception {
        Map<String, String> events = new LinkedHashMap<>();
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=16000&targets=es"))) {
            for (String recording : recordings) {
                client.stream(LibriVox.get(recording).at(16000).pcm(), 3200, 32000, false);
                client.stream(WavFile.quiet(16000, 1000), 3200, 32000, false); // a second of silence ends the utterance
            }
            client.endInput();
            client.await("session.closed", Duration.ofSeconds(60));
            for (ListenClient.Received event : client.events()) {
                JsonNode json = event.json();
                if (SENT.contains(json.path("type").asText())) {
                    events.put(json.path("event_id").asText(), json.path("type").asText());
                }
            }
        }
        return events;
    }

    private static HttpResponse<String> replay(ParleyServer parley, String query, String key) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(parley.http("/api/webhooks/dead/replay" + query))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return parley.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long count(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> f.toString().endsWith(".json")).count();
        } catch (Exception e) {
            return -1;
        }
    }

    private static void await(BooleanSupplier condition, Duration max, java.util.function.Supplier<String> state)
            throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not reached within " + max + ": " + state.get());
            }
            Thread.sleep(50);
        }
    }
}
