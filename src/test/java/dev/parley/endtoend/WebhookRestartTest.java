package dev.parley.endtoend;

import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WebhookReceiver;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Webhook deliveries outlive Parley: pending ones are resumed after a restart; nothing is sent without consent. */
class WebhookRestartTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void deliveriesPendingWhenParleyStopsAreDeliveredAfterItRestarts() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            receiver.failing(true);
            Map<String, String> settings = Map.of(
                    "parley.webhooks.urls", receiver.url(),
                    "parley.webhooks.secret", WebhookReceiver.SECRET,
                    "parley.webhooks.initial-backoff-ms", "200",
                    "parley.webhooks.max-attempts", "50",
                    "parley.tts.enabled", "false");
            Set<String> sent;
            Path spool;
            try (ParleyServer first = ParleyServer.start(settings);
                 ListenClient client = ListenClient.connect(first.ws("/v1/listen?rate=16000"))) {
                client.stream(LibriVox.get("0880").at(16000).pcm(), 640, 32000, false);
                client.endInput();
                client.await("session.closed", WAIT);
                sent = client.events().stream().map(ListenClient.Received::json)
                        .filter(e -> Set.of("session.created", "transcript.final", "translation.final", "session.closed")
                                .contains(e.path("type").asText()))
                        .map(e -> e.path("event_id").asText()).collect(Collectors.toSet());
                spool = first.webhooks();
            }
            try (Stream<Path> pending = Files.list(spool.resolve("pending"))) {
                assertEquals(sent.size(), pending.count(), "every event waits on disk while the receiver is down");
            }
            assertTrue(receiver.verified().isEmpty());

            receiver.failing(false);
            Map<String, String> restart = new java.util.HashMap<>(settings);
            restart.put("parley.webhooks.dir", spool.toString());
            try (ParleyServer second = ParleyServer.start(restart)) {
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (receiver.verified().size() < sent.size() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
            }
            assertEquals(sent, receiver.verified().stream().map(WebhookReceiver.Delivery::webhookId).collect(Collectors.toSet()));
            assertEquals(sent.size(), receiver.verified().size(), "each once");
            assertTrue(receiver.rejected().isEmpty(), receiver.rejected().toString());
        }
    }

    @Test
    void aSessionWithoutRecordingConsentIsNeitherArchivedNorSentToWebhooks() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver();
             ParleyServer parley = ParleyServer.start(Map.of(
                     "parley.webhooks.urls", receiver.url(),
                     "parley.webhooks.secret", WebhookReceiver.SECRET));
             ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=16000&record=false"))) {
            client.stream(LibriVox.get("0880").at(16000).pcm(), 640, 32000, false);
            client.endInput();
            client.await("session.closed", WAIT);
            assertTrue(client.events("translation.final").size() > 0, "still transcribed and translated live");
            Thread.sleep(1000);
            assertTrue(receiver.verified().isEmpty(), "no webhook without consent");
            try (Stream<Path> files = Files.walk(parley.archive())) {
                assertEquals(1, files.count(), "nothing archived without consent: " + parley.archive());
            }
        }
    }
}
