package dev.parley.privacy;

import dev.parley.archive.SessionArchive;
import dev.parley.archive.SessionRemovalListener;
import dev.parley.archive.TranscriptArchive;
import dev.parley.webhook.WebhookDispatcher;
import dev.parley.webhook.WebhookSettings;
import dev.parley.testing.WebhookReceiver;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code parley.archive.retention-days}, with a clock the test moves: a sweep removes the sessions that
 * ended longer ago than that (and tells the listeners), keeps the others and the open ones, and drops
 * webhook dead letters as old.
 */
class RetentionTest {

    @TempDir
    Path dir;

    private final CamelContext camel = new DefaultCamelContext();
    private final List<String> removed = new CopyOnWriteArrayList<>();
    private Instant now = Instant.parse("2026-03-01T12:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    @BeforeEach
    void startCamel() {
        camel.start();
    }

    @AfterEach
    void stopCamel() {
        camel.stop();
    }

    /** A session archived as Parley writes one: opened, some audio, closed with its end in call.json. */
    private static Path archived(TranscriptArchive archive, String id, Instant started, Instant ended) {
        SessionArchive files = archive.open(id, started, List.of("speaker"), 16000, "pcm16");
        Map<String, Object> call = new LinkedHashMap<>();
        call.put("session_id", id);
        call.put("started_at", started.toString());
        call.put("metadata", Map.of("customer_id", "C-1"));
        files.writeCallJson(call);
        files.appendAudio("speaker", new byte[3200]);
        if (ended != null) {
            call.put("ended_at", ended.toString());
        }
        files.close(call);
        return files.folder();
    }

    @Test
    void aSweepRemovesWhatEndedBeforeTheRetentionPeriodAndNothingElse() throws Exception {
        TranscriptArchive archive = new TranscriptArchive(dir.resolve("archive"));
        Path old = archived(archive, "ses_old", now.minus(Duration.ofDays(40)), now.minus(Duration.ofDays(40)).plusSeconds(60));
        Path recent = archived(archive, "ses_recent", now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(2)).plusSeconds(60));
        Path open = archived(archive, "ses_open", now.minus(Duration.ofDays(45)), null);

        // A dead letter, made as the dispatcher makes them: one attempt at a receiver that is not there.
        WebhookSettings settings = WebhookSettings.of(List.of("http://127.0.0.1:" + WebhookReceiver.freePort() + "/hooks"),
                WebhookReceiver.SECRET, dir.resolve("webhooks")).withRetries(1, Duration.ofMillis(50), Duration.ofMillis(50));
        try (WebhookDispatcher webhooks = new WebhookDispatcher(settings, camel)) {
            webhooks.start();
            webhooks.enqueue("evt_old", "transcript.final", "{\"type\":\"transcript.final\",\"session_id\":\"ses_x\"}");
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (webhooks.dead() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(1, webhooks.dead());

            SessionRemovalListener index = (id, cause) -> removed.add(id + ":" + cause);
            Retention retention = new Retention(archive, "ses_open"::equals, webhooks, Duration.ofDays(30), clock, List.of(index));

            Retention.Swept first = retention.sweep();
            assertEquals(List.of("ses_old"), first.sessions());
            assertTrue(Files.notExists(old));
            assertTrue(Files.exists(recent.resolve("audio.wav")));
            assertTrue(Files.exists(open.resolve("audio.wav")), "an open session is never swept");
            assertEquals(List.of("ses_old:EXPIRED"), removed);
            assertEquals(0, first.webhookDeadLetters(), "the dead letter is from today");

            now = now.plus(Duration.ofDays(27)); // the recent one ended 29 days ago: kept
            assertEquals(List.of(), retention.sweep().sessions());
            now = Instant.now().plus(Duration.ofDays(31)); // the dead letter was made by the real clock
            Retention.Swept later = retention.sweep();
            assertEquals(List.of("ses_recent"), later.sessions());
            assertEquals(1, later.webhookDeadLetters());
            try (Stream<Path> letters = Files.list(dir.resolve("webhooks").resolve("dead"))) {
                assertEquals(0, letters.filter(p -> p.toString().endsWith(".json")).count());
            }
            try (Stream<Path> left = Files.walk(dir.resolve("archive"))) {
                assertTrue(left.noneMatch(p -> p.toString().contains("ses_old") || p.toString().contains("ses_recent")));
            }
        }
    }
}
