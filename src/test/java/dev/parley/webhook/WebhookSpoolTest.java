package dev.parley.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.parley.webhook.WebhookDeliveryTest.await;
import static dev.parley.webhook.WebhookDeliveryTest.list;
import static dev.parley.webhook.WebhookDeliveryTest.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Crash safety and bookkeeping of the spool on disk. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WebhookSpoolTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String secret = TestReceiver.newSecret();

    @TempDir
    Path dir;

    private WebhookSettings settings(String... urls) {
        return WebhookSettings.of(List.of(urls), secret, dir)
                .withRetries(5, Duration.ofMillis(50), Duration.ofMillis(200));
    }

    @Test
    void aStrayTempFileLeftByACrashIsRemovedAtStartAndNeverDelivered() throws Exception {
        try (TestReceiver receiver = TestReceiver.start(secret)) {
            Path pending = dir.resolve("pending");
            Files.createDirectories(pending);
            String name = "evt_half." + Spool.urlHash(receiver.url()) + ".json";
            Path stray = pending.resolve("." + name + ".5f3a9c.tmp");
            Files.writeString(stray, "{\"v\":1,\"event_id\":\"evt_half\",\"url\":\"" + receiver.url() + "\",\"payl");
            Path strayDead = dir.resolve("dead").resolve(".x.json.77.tmp");
            Files.createDirectories(strayDead.getParent());
            Files.writeString(strayDead, "{");

            try (WebhookDispatcher dispatcher = new WebhookDispatcher(settings(receiver.url()), TestCamel.CONTEXT)) {
                dispatcher.start();
                assertFalse(Files.exists(stray), "temp file removed at start");
                assertFalse(Files.exists(strayDead), "temp file in dead/ removed at start");
                assertEquals(0, dispatcher.pending(), "a temp file is not a delivery");
                dispatcher.enqueue("evt_whole", "transcript.final", payload("evt_whole"));
                await(Duration.ofSeconds(5), () -> dispatcher.delivered() == 1, () -> "not delivered");
                assertEquals(List.of("evt_whole"), receiver.seen.stream().map(TestReceiver.Seen::id).toList());
            }
        }
    }

    @Test
    void pendingFilesAreAlwaysCompleteJsonWithTheExactPayloadEvenWhileBeingWritten() throws Exception {
        // Not started: files pile up as during an outage. A reader scans the folder the whole time and must
        // never see a *.json that does not parse.
        WebhookSettings settings = settings("http://127.0.0.1:9/a", "https://example.invalid/b");
        try (WebhookDispatcher dispatcher = new WebhookDispatcher(settings, TestCamel.CONTEXT)) {
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger scans = new AtomicInteger();
            List<String> broken = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread reader = new Thread(() -> {
                while (writing.get()) {
                    try {
                        for (Path file : list(dir.resolve("pending"))) {
                            String fileName = file.getFileName().toString();
                            if (fileName.endsWith(".json") && !fileName.startsWith(".")) {
                                try {
                                    PendingDelivery.fromJson(Files.readAllBytes(file));
                                } catch (java.nio.file.NoSuchFileException gone) {
                                    // fine
                                } catch (Exception e) {
                                    broken.add(fileName + ": " + e);
                                }
                            }
                        }
                        scans.incrementAndGet();
                    } catch (Exception e) {
                        broken.add("scan: " + e);
                    }
                }
            });
            reader.start();
            ExecutorService writers = Executors.newFixedThreadPool(3);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int thread = t;
                done.add(writers.submit(() -> {
                    for (int i = 0; i < 40; i++) {
                        String id = "evt_" + thread + "_" + i;
                        dispatcher.enqueue(id, "transcript.final", payload(id));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            writers.shutdown();
            writing.set(false);
            reader.join();

            assertEquals(List.of(), broken);
            assertTrue(scans.get() > 0);
            List<Path> files = list(dir.resolve("pending"));
            assertEquals(240, files.size(), "one file per event per URL, no temp files left");
            for (Path file : files) {
                PendingDelivery delivery = PendingDelivery.fromJson(Files.readAllBytes(file));
                assertEquals(payload(delivery.eventId()), delivery.payload());
                assertEquals(0, delivery.attempts());
                assertEquals(Spool.fileName(delivery.eventId(), delivery.url()), file.getFileName().toString());
            }
            assertEquals(240, dispatcher.pending());
        }
    }

    @Test
    void anUnreadablePendingFileIsSetAsideAndTheOthersAreStillDelivered() throws Exception {
        try (TestReceiver receiver = TestReceiver.start(secret)) {
            try (WebhookDispatcher dispatcher = new WebhookDispatcher(settings(receiver.url()), TestCamel.CONTEXT)) {
                dispatcher.enqueue("evt_good", "transcript.final", payload("evt_good")); // before start: on disk only
                Path bad = dir.resolve("pending").resolve("evt_bad." + Spool.urlHash(receiver.url()) + ".json");
                Files.write(bad, "{\"v\":1,\"event_id\":\"evt_bad\",\"url\":".getBytes(StandardCharsets.UTF_8));

                dispatcher.start();
                await(Duration.ofSeconds(5), () -> dispatcher.delivered() == 1, () -> "not delivered");
                assertFalse(Files.exists(bad));
                List<Path> aside = list(dir.resolve("dead"));
                assertEquals(1, aside.size());
                assertTrue(aside.get(0).getFileName().toString().startsWith("evt_bad."), aside.toString());
                assertTrue(aside.get(0).getFileName().toString().endsWith(".unreadable"), aside.toString());
                assertEquals(1, receiver.seen.size());
            }
        }
    }

    @Test
    void anEventStillPendingIsNotEnqueuedTwice() throws Exception {
        try (TestReceiver receiver = TestReceiver.start(secret);
             WebhookDispatcher dispatcher = new WebhookDispatcher(settings(receiver.url()), TestCamel.CONTEXT)) {
            dispatcher.enqueue("evt_dup", "transcript.final", payload("evt_dup"));
            dispatcher.enqueue("evt_dup", "transcript.final", "{\"changed\":true}");
            assertEquals(1, dispatcher.pending());
            dispatcher.start();
            await(Duration.ofSeconds(5), () -> dispatcher.delivered() == 1, () -> "not delivered");
            Thread.sleep(200);
            assertEquals(1, receiver.seen.size());
            assertEquals(payload("evt_dup"), receiver.seen.get(0).body(), "the first payload wins");
        }
    }

    @Test
    void withNoUrlsWebhooksAreOffAndNothingIsWrittenOrCreated() throws Exception {
        Path off = dir.resolve("off");
        try (WebhookDispatcher dispatcher = new WebhookDispatcher(WebhookSettings.of(List.of(), null, off), TestCamel.CONTEXT)) {
            dispatcher.start();
            dispatcher.enqueue("evt_1", "transcript.final", "{}");
            assertEquals(0, dispatcher.pending());
        }
        assertFalse(Files.exists(off));
    }

    @Test
    void twoDispatchersCannotShareOneSpool() throws Exception {
        try (WebhookDispatcher first = new WebhookDispatcher(settings("http://127.0.0.1:9/a"), TestCamel.CONTEXT);
             WebhookDispatcher second = new WebhookDispatcher(settings("http://127.0.0.1:9/a"), TestCamel.CONTEXT)) {
            first.start();
            IllegalStateException e = assertThrows(IllegalStateException.class, second::start);
            assertTrue(e.getMessage().contains(WebhookSettings.DIR), e.getMessage());
        }
    }

    @Test
    void anUnusableEventIdIsRefusedBeforeAnythingIsWritten() throws Exception {
        try (WebhookDispatcher dispatcher = new WebhookDispatcher(settings("http://127.0.0.1:9/a"), TestCamel.CONTEXT)) {
            for (String id : new String[]{"../etc/passwd", "", ".hidden", "a/b", "évt"}) {
                assertThrows(IllegalArgumentException.class, () -> dispatcher.enqueue(id, "t", "{}"), id);
            }
            assertThrows(NullPointerException.class, () -> dispatcher.enqueue("evt_1", "t", null));
            assertEquals(List.of(), list(dir.resolve("pending")));
        }
    }

    @Test
    void theDeadLetterAndPendingFormatsRoundTrip() throws Exception {
        PendingDelivery delivery = PendingDelivery.first("evt_1", null, "https://x.example/h", "{\"a\":\"ü\"}",
                java.time.Instant.parse("2025-01-01T00:00:00Z"));
        PendingDelivery back = PendingDelivery.fromJson(delivery.toJson());
        assertEquals(delivery, back);
        assertNull(back.eventType());
        PendingDelivery failed = delivery.failed(2, java.time.Instant.parse("2025-01-01T00:00:05Z"),
                PendingDelivery.Failure.http(503, "  busy\n  try later "));
        JsonNode node = JSON.readTree(failed.toJson());
        assertEquals("busy try later", node.get("last_failure").get("body").asText());
        assertEquals(failed.lastFailure().describe(), PendingDelivery.fromJson(failed.toJson()).lastFailure().describe());
    }
}
