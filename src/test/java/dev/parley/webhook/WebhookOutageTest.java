package dev.parley.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.parley.webhook.WebhookDeliveryTest.await;
import static dev.parley.webhook.WebhookDeliveryTest.list;
import static dev.parley.webhook.WebhookDeliveryTest.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A receiver that is down: tested with one delivery, the others wait and go in order; give-up and replay. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WebhookOutageTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String secret = TestReceiver.newSecret();

    @TempDir
    Path dir;

    private WebhookSettings settings(String url) {
        return WebhookSettings.of(List.of(url), secret, dir).withRetries(0, Duration.ofMillis(100), Duration.ofMillis(400))
                .withRequestTimeout(Duration.ofSeconds(3)).withConcurrency(1);
    }

    private static List<String> ids(int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(String.format("evt_%02d", i));
        }
        return ids;
    }

    @Test
    void whileTheReceiverIsDownOnlyTheOldestIsTriedThenEveryEventArrivesOnceInOrder() throws Exception {
        try (TestReceiver receiver = TestReceiver.start(secret);
             WebhookDispatcher dispatcher = new WebhookDispatcher(settings(receiver.url()), TestCamel.CONTEXT)) {
            receiver.failUntil(Instant.now().plusSeconds(3), 503, "down for maintenance");
            dispatcher.start();
            List<String> ids = ids(20);
            for (String id : ids) {
                dispatcher.enqueue(id, "transcript.final", payload(id));
            }
            await(Duration.ofSeconds(15), () -> dispatcher.delivered() == ids.size(),
                    () -> "delivered " + dispatcher.delivered() + ", pending " + dispatcher.pending());

            List<TestReceiver.Seen> refused = receiver.seen.stream().filter(s -> !s.accepted()).toList();
            assertTrue(refused.size() >= 5, "the outage was retried: " + refused.size());
            assertEquals(Set.of("evt_00"), Set.copyOf(refused.stream().map(TestReceiver.Seen::id).toList()),
                    "only the oldest delivery tested the receiver while it was down");
            assertEquals(ids, receiver.accepted().stream().map(TestReceiver.Seen::id).toList(), "in order, once each");
            assertEquals(0, dispatcher.dead());
        }
    }

    @Test
    void theLastAttemptIsMadeWhenTheDeliveryGivesUpAndTheOthersWaitingAreDeadLetteredWithoutAnAttempt() throws Exception {
        try (TestReceiver receiver = TestReceiver.start(secret);
             WebhookDispatcher dispatcher = new WebhookDispatcher(settings(receiver.url())
                     .withGiveUpAfter(Duration.ofSeconds(2)), TestCamel.CONTEXT)) {
            receiver.failAlways(503, "down");
            dispatcher.start();
            Instant enqueued = Instant.now();
            for (String id : ids(5)) {
                dispatcher.enqueue(id, "transcript.final", payload(id));
            }
            await(Duration.ofSeconds(10), () -> dispatcher.dead() == 5, () -> "dead " + dispatcher.dead());

            List<TestReceiver.Seen> attempts = receiver.attemptsFor("evt_00");
            long last = Duration.between(enqueued, attempts.get(attempts.size() - 1).receivedAt()).toMillis();
            assertTrue(last >= 2000 && last < 3000, "the last attempt is at the give-up time: " + last + " ms");
            assertEquals(attempts.size(), receiver.seen.size(), "the others were never tried: " + receiver.seen.size());
            JsonNode waited = JSON.readTree(dir.resolve("dead").resolve("evt_03." + Spool.urlHash(receiver.url()) + ".json").toFile());
            assertEquals(0, waited.get("attempts").asInt());
            assertTrue(waited.get("reason").asText().contains("HTTP 503"), waited.toString());
            assertEquals(List.of(), list(dir.resolve("pending")));
        }
    }

    @Test
    void replaySendsDeadLettersAgainByTypeAndTimeInOrderOncePerCall() throws Exception {
        try (TestReceiver receiver = TestReceiver.start(secret);
             WebhookDispatcher dispatcher = new WebhookDispatcher(settings(receiver.url()).withRetries(2,
                     Duration.ofMillis(20), Duration.ofMillis(50)), TestCamel.CONTEXT)) {
            receiver.failAlways(400, "unknown event schema");
            dispatcher.start();
            List<String> ids = ids(6);
            Instant middle = null;
            for (int i = 0; i < ids.size(); i++) {
                if (i == 4) {
                    Thread.sleep(20);
                    middle = Instant.now();
                }
                dispatcher.enqueue(ids.get(i), i % 2 == 0 ? "transcript.final" : "translation.final", payload(ids.get(i)));
            }
            await(Duration.ofSeconds(10), () -> dispatcher.dead() == 6, () -> "dead " + dispatcher.dead());
            assertEquals(12, receiver.seen.size(), "a refused delivery is retried on its own, twice each");

            receiver.failUntil(Instant.MIN, 0, "");
            assertEquals(0, dispatcher.replay(new WebhookDispatcher.ReplayFilter("other.example:443", Set.of(), null, null)));
            assertEquals(2, dispatcher.replay(new WebhookDispatcher.ReplayFilter(null, Set.of("transcript.final"), null, middle)));
            await(Duration.ofSeconds(5), () -> receiver.accepted().size() == 2, () -> "accepted " + receiver.accepted());
            assertEquals(List.of("evt_00", "evt_02"), receiver.accepted().stream().map(TestReceiver.Seen::id).toList());

            assertEquals(4, dispatcher.replay(WebhookDispatcher.ReplayFilter.ALL));
            await(Duration.ofSeconds(5), () -> receiver.accepted().size() == 6, () -> "accepted " + receiver.accepted());
            assertEquals(List.of("evt_00", "evt_02", "evt_01", "evt_03", "evt_04", "evt_05"),
                    receiver.accepted().stream().map(TestReceiver.Seen::id).toList(), "each replay in event order");
            assertEquals(0, dispatcher.replay(WebhookDispatcher.ReplayFilter.ALL), "nothing left to replay");
            assertEquals(List.of(), list(dir.resolve("dead")));
            assertEquals(List.of(), list(dir.resolve("pending")));
        }
    }
}
