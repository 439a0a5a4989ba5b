package dev.parley.recipes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.PackagedParley;
import dev.parley.testing.WavFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recipe examples/routes/crm-with-retries.camel.yaml on the packaged jar: docs/recipes.md, "Retries and a dead-letter
 * folder". Retries here: 3, from 500 ms, doubling (3.5 s per event before it is given up).
 */
@Timeout(240)
class CrmWithRetriesRecipeIT {

    private static CrmReceiver crm;
    private static PackagedParley parley;

    @BeforeAll
    static void start() throws Exception {
        crm = new CrmReceiver();
        parley = PackagedParley.start(Recipes.folderWith("crm-with-retries", "crm-with-retries.camel.yaml"), Map.of(
                "CRM_URL", crm.url(), "CRM_MAX_REDELIVERIES", "3", "CRM_REDELIVERY_DELAY_MS", "500"));
    }

    @AfterAll
    static void stop() {
        if (parley != null) {
            parley.close();
        }
        if (crm != null) {
            crm.close();
        }
    }

    @Test
    void aCrmThatAnswers503ForAWhileGetsEveryEventOnceItRecovers() throws Exception {
        int before = crm.requests().size();
        crm.answer(n -> n - before <= 2 ? 503 : 200);
        try (ListenClient client = Recipes.say(parley.ws("/v1/listen?targets=es,ca"), "0880")) {
            Map<String, JsonNode> sent = sinkEvents(client);
            String session = Recipes.sessionId(client);
            assertTrue(Recipes.eventually(Duration.ofSeconds(30), () -> accepted(session).size() >= sent.size()),
                    "the CRM took " + accepted(session).size() + " of " + sent.size() + " events");
            Thread.sleep(500);
            Map<String, JsonNode> took = accepted(session);
            assertEquals(sent.keySet(), took.keySet(), "every event, each accepted once");
            assertEquals(sent, took, "as the client received it");
            assertEquals(2, crm.requests().stream().skip(before).filter(r -> r.status() == 503).count(), "two requests were refused first");
            assertEquals(List.of(), Recipes.files(parley.dir().resolve("dead-letters").resolve(session)), "no dead letter");
        }
    }

    @Test
    void aCrmThatAlwaysFailsLeavesTheEventsAsDeadLettersAndTheSessionUndisturbed() throws Exception {
        crm.answer(n -> 503);
        WavFile audio = LibriVox.get("0880").at(24000);
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?targets=es,ca"))) {
            client.stream(audio.pcm(), 24000 * 2 / 25, 24000 * 2, true);
            long ended = System.nanoTime();
            client.endInput();
            ListenClient.Received closed = client.await("session.closed", Duration.ofSeconds(60));
            // Giving up on one event takes 3.5 s here: a session that waited for the CRM would close many seconds later.
            long closedAfterMs = (closed.atNanos() - ended) / 1_000_000;
            assertTrue(closedAfterMs < 3000, "session.closed " + closedAfterMs + " ms after the input ended");
            assertEquals(1000, client.awaitClose(Duration.ofSeconds(10)));

            String session = Recipes.sessionId(client);
            Map<String, JsonNode> sent = sinkEvents(client);
            assertFalse(client.events("transcript.final").isEmpty(), "finals: " + client.types());
            assertEquals(archived(session, "transcript.final", "translation.final"), new TreeSet<>(sent.keySet()),
                    "the client got every final and translation the archive has");
            Path dead = parley.dir().resolve("dead-letters").resolve(session);
            assertTrue(Recipes.eventually(Duration.ofSeconds(60), () -> Recipes.files(dead).size() >= sent.size()),
                    "a dead letter per event in " + dead + ": " + Recipes.files(dead));
            Map<String, JsonNode> letters = new TreeMap<>();
            for (JsonNode letter : Recipes.jsonFiles(dead)) {
                letters.put(letter.path("event_id").asText(), letter);
                assertTrue(Files.isRegularFile(dead.resolve(letter.path("seq").asLong() + "-" + letter.path("type").asText() + ".json")));
            }
            assertEquals(sent, letters, "the dead letters are the envelopes");
            assertEquals(0, accepted(session).size());
            assertEquals(sent.size() * 4L, crm.requests().stream().filter(r -> session.equals(r.header("ParleySessionId"))).count(),
                    "each event was tried 1 + 3 times");
            assertEquals(sent.size(), parley.log().lines().filter(l -> l.contains(" WARN ")
                    && l.contains("Exhausted after delivery attempt: 4") && l.contains("Handled by DeadLetterChannel: [file:dead-letters]")).count(),
                    "one warning per dead letter");
        }
    }

    /** The events the route takes (transcript.final, translation.final) as the client received them, by event_id. */
    private static Map<String, JsonNode> sinkEvents(ListenClient client) {
        Map<String, JsonNode> out = new TreeMap<>();
        List<JsonNode> events = new ArrayList<>(client.events("transcript.final"));
        events.addAll(client.events("translation.final"));
        events.forEach(e -> out.put(e.path("event_id").asText(), e));
        return out;
    }

    /** The session's events the CRM answered 2xx, by event_id. */
    private static Map<String, JsonNode> accepted(String session) {
        Map<String, JsonNode> out = new TreeMap<>();
        for (CrmReceiver.Request r : crm.accepted()) {
            try {
                JsonNode e = r.json();
                if (e.path("session_id").asText().equals(session)) {
                    if (out.put(e.path("event_id").asText(), e) != null) {
                        throw new AssertionError("accepted twice: " + e);
                    }
                }
            } catch (java.io.IOException notJson) {
                throw new AssertionError("not JSON: " + r.body());
            }
        }
        return out;
    }

    /** The event ids of these types in the session's archived transcript.jsonl. */
    private static TreeSet<String> archived(String session, String... types) throws Exception {
        Path root = parley.dir().resolve("archive");
        assertTrue(Recipes.eventually(Duration.ofSeconds(10), () -> Recipes.files(root).stream()
                .anyMatch(f -> f.endsWith(Path.of(session, "transcript.jsonl")))), "archived");
        Path jsonl = Recipes.files(root).stream().filter(f -> f.endsWith(Path.of(session, "transcript.jsonl"))).findFirst().orElseThrow();
        TreeSet<String> ids = new TreeSet<>();
        for (String line : Files.readAllLines(jsonl)) {
            JsonNode e = Recipes.json(line);
            if (List.of(types).contains(e.path("type").asText())) {
                ids.add(e.path("event_id").asText());
            }
        }
        return ids;
    }
}
