package dev.parley.operations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.PackagedParley;
import dev.parley.testing.WebhookReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kill -9} in the middle of calls, again and again, on the packaged jar: at each next start,
 * Parley closes the sessions the kill left open through the normal events path ({@code session.closed},
 * reason {@code server_crashed}, {@code seq} one past the last archived event), so their archive and
 * the webhooks both get it; it removes the temp files of interrupted writes; and no event a client saw
 * is missing from the archive or the webhooks.
 */
@Timeout(900)
class CrashRecoveryIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ROUNDS = Integer.getInteger("parley.crash.rounds", 3);
    private static final int SESSIONS = 3;
    private static final Set<String> WEBHOOK_TYPES = Set.of("session.created", "session.joined", "transcript.final",
            "translation.final", "session.closed");

    @Test
    void sessionsAKillLeavesOpenAreClosedAtTheNextStart() throws Exception {
        Random random = new Random(14);
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            Path dir = PackagedParley.folder("crash");
            Map<String, String> env = Map.of("PARLEY_WEBHOOKS_URLS", receiver.url(),
                    "PARLEY_WEBHOOKS_SECRET", WebhookReceiver.SECRET, "PARLEY_WEBHOOKS_INITIAL_BACKOFF_MS", "200",
                    "PARLEY_WEBHOOKS_MAX_ATTEMPTS", "50", "PARLEY_TRANSLATION_TARGETS", "es,ca",
                    "PARLEY_RECOGNIZER_POCKETSPHINX_WARM_DECODERS", Integer.toString(SESSIONS));
            Map<String, List<JsonNode>> seen = new HashMap<>(); // by session: the events its client received
            ExecutorService speakers = Executors.newCachedThreadPool();
            try {
                for (int round = 0; round < ROUNDS; round++) {
                    PackagedParley parley = PackagedParley.start(dir, env);
                    List<ListenClient> clients = new ArrayList<>();
                    for (int i = 0; i < SESSIONS; i++) {
                        ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=24000"));
                        clients.add(client);
                        byte[] audio = Speakers.audio(Speakers.recordings(round + i, 4));
                        speakers.submit(() -> {
                            client.stream(audio, 1920, 48000, true);
                            return null;
                        });
                    }
                    for (ListenClient c : clients) {
                        c.await("session.created", Duration.ofSeconds(30));
                    }
                    Thread.sleep(5000 + random.nextInt(9000)); // amid finals, translations and their speech
                    parley.kill();
                    for (ListenClient c : clients) {
                        seen.put(c.events("session.created").get(0).path("session_id").asText(),
                                c.events().stream().map(ListenClient.Received::json).toList());
                        c.close();
                    }
                }
            } finally {
                speakers.shutdownNow();
            }

            try (PackagedParley parley = PackagedParley.start(dir, env)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (closedByWebhook(receiver).size() < seen.size() && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertTrue(parley.log().contains("Closed " + SESSIONS + " session(s)"), PackagedParley.tail(parley.log(), 20));
            }

            Map<String, JsonNode> closedHooks = closedByWebhook(receiver);
            Set<String> hooked = receiver.verified().stream().map(WebhookReceiver.Delivery::webhookId).collect(Collectors.toSet());
            int tempFiles = 0;
            for (Map.Entry<String, List<JsonNode>> s : seen.entrySet()) {
                String id = s.getKey();
                Path folder = folderOf(dir, id);
                JsonNode call = JSON.readTree(folder.resolve("call.json").toFile());
                assertEquals("server_crashed", call.path("end_reason").asText(), id + " call.json: " + call);
                assertTrue(call.hasNonNull("ended_at"), id);

                List<JsonNode> lines = new ArrayList<>();
                for (String line : Files.readAllLines(folder.resolve("transcript.jsonl"))) {
                    lines.add(JSON.readTree(line));
                }
                JsonNode last = lines.get(lines.size() - 1);
                assertEquals("session.closed", last.path("type").asText(), id);
                assertEquals("server_crashed", last.path("reason").asText(), id);
                assertEquals(lines.get(lines.size() - 2).path("seq").asLong() + 1, last.path("seq").asLong(), id);
                assertTrue(last.path("audio").path("speaker").path("duration_ms").asLong() > 0, last.toString());

                JsonNode hook = closedHooks.get(id);
                assertTrue(hook != null, "no webhook told anyone " + id + " ended");
                assertEquals(last.path("event_id").asText(), hook.path("event_id").asText());

                // What the client was told before the kill is in the archive and went to the webhooks.
                Set<String> archived = lines.stream().map(l -> l.path("event_id").asText()).collect(Collectors.toSet());
                for (JsonNode e : s.getValue()) {
                    String type = e.path("type").asText();
                    if (!type.equals("transcript.partial")) {
                        assertTrue(archived.contains(e.path("event_id").asText()), id + ": the client saw " + e + " but the archive lost it");
                    }
                    if (WEBHOOK_TYPES.contains(type)) {
                        assertTrue(hooked.contains(e.path("event_id").asText()), id + ": the client saw " + e + " but no webhook came");
                    }
                }
                try (Stream<Path> files = Files.walk(folder)) {
                    tempFiles += (int) files.filter(f -> f.getFileName().toString().endsWith(".tmp")).count();
                }
            }
            assertEquals(0, tempFiles, "temp files left in the killed sessions' folders");
            try (Stream<Path> runs = Files.list(dir.resolve("archive/.open"))) {
                assertEquals(List.of(), runs.toList(), "nothing marked open once every Parley has stopped");
            }
            System.out.printf("crash recovery: %d kill -9 rounds of %d sessions each: %d of %d killed sessions closed "
                    + "(server_crashed) in the archive and by webhook, %d temp files left%n", ROUNDS, SESSIONS,
                    closedHooks.size(), seen.size(), tempFiles);
            assertFalse(seen.isEmpty());
        }
    }

    private static Map<String, JsonNode> closedByWebhook(WebhookReceiver receiver) {
        Map<String, JsonNode> closed = new HashMap<>();
        for (WebhookReceiver.Delivery d : receiver.verified()) {
            if (d.event().path("type").asText().equals("session.closed")) {
                closed.put(d.event().path("session_id").asText(), d.event());
            }
        }
        return closed;
    }

    private static Path folderOf(Path dir, String sessionId) throws Exception {
        try (Stream<Path> files = Files.walk(dir.resolve("archive"))) {
            return files.filter(f -> f.getFileName().toString().equals(sessionId) && Files.isDirectory(f)).findFirst()
                    .orElseThrow(() -> new AssertionError("no archive folder for " + sessionId));
        }
    }
}
