package dev.parley.recipes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.ListenClient;
import dev.parley.testing.PackagedParley;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/recipes.md, "When a sink fails": user routes that fail on every event, without an error handler of their
 * own (the CRM recipe pointed at a port where nothing listens, and a route that throws), are logged with their
 * route ids, and sessions go on: each client gets every final, its translations and session.closed, one
 * session after another.
 */
@Timeout(180)
class FailingSinkIT {

    @Test
    void sinksThatFailOnEveryEventAreLoggedByRouteIdAndSessionsGoOnWithEveryFinal() throws Exception {
        Path dir = Recipes.folderWith("failing-sinks", "translations-to-crm.camel.yaml");
        Files.writeString(dir.resolve("routes").resolve("finals-that-throw.camel.yaml"), """
                - route:
                    id: finals-that-throw
                    from:
                      uri: parley:events
                      parameters:
                        types: transcript.final
                      steps:
                        - throwException:
                            exceptionType: java.lang.IllegalStateException
                            message: "the sink is broken"
                """);
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (PackagedParley parley = PackagedParley.start(dir, Map.of("CRM_URL", "http://127.0.0.1:" + closedPort + "/crm"))) {
            int translations = 0;
            int finals = 0;
            for (String recording : List.of("0880", "0930")) {
                try (ListenClient client = Recipes.say(parley.ws("/v1/listen?targets=es,ca"), recording)) {
                    String session = Recipes.sessionId(client);
                    List<JsonNode> sessionFinals = client.events("transcript.final");
                    assertFalse(sessionFinals.isEmpty(), recording + ": finals: " + client.types());
                    assertEquals(archivedFinals(parley, session), ids(sessionFinals), recording + ": every final the archive has");
                    assertEquals(2 * sessionFinals.size(), client.events("translation.final").size(),
                            recording + ": each final in both targets: " + client.types());
                    assertEquals("input_audio.end", client.events("session.closed").get(0).path("reason").asText());
                    finals += sessionFinals.size();
                    translations += 2 * sessionFinals.size();
                }
            }
            int expectedFinals = finals;
            int expectedTranslations = translations;
            assertTrue(Recipes.eventually(Duration.ofSeconds(20), () -> failures(parley, "finals-that-throw") == expectedFinals
                    && failures(parley, "translations-to-crm") == expectedTranslations), "a warning per failed event, naming the route: "
                    + failures(parley, "finals-that-throw") + " of " + expectedFinals + ", " + failures(parley, "translations-to-crm")
                    + " of " + expectedTranslations + "\n" + PackagedParley.tail(parley.log(), 30));
            assertTrue(parley.log().contains("the sink is broken"), "with the failure");
            assertTrue(parley.log().contains("Connection refused") || parley.log().contains("ConnectException"), "with the failure");
            assertTrue(parley.isAlive());
        }
    }

    /** Lines of Parley's log saying that a route failed on an event. */
    private static long failures(PackagedParley parley, String routeId) {
        try {
            return parley.log().lines().filter(l -> l.contains(" WARN ") && l.contains("Route " + routeId + " failed on ")).count();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static TreeSet<String> ids(List<JsonNode> events) {
        TreeSet<String> out = new TreeSet<>();
        events.forEach(e -> out.add(e.path("event_id").asText()));
        return out;
    }

    private static TreeSet<String> archivedFinals(PackagedParley parley, String session) throws Exception {
        Path root = parley.dir().resolve("archive");
        assertTrue(Recipes.eventually(Duration.ofSeconds(10), () -> Recipes.files(root).stream()
                .anyMatch(f -> f.endsWith(Path.of(session, "transcript.jsonl")))), "archived");
        Path jsonl = Recipes.files(root).stream().filter(f -> f.endsWith(Path.of(session, "transcript.jsonl"))).findFirst().orElseThrow();
        TreeSet<String> out = new TreeSet<>();
        for (String line : Files.readAllLines(jsonl)) {
            JsonNode e = Recipes.json(line);
            if (e.path("type").asText().equals("transcript.final")) {
                out.add(e.path("event_id").asText());
            }
        }
        return out;
    }
}
