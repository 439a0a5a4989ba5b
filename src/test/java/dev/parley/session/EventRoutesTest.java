package dev.parley.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.Parley;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * parley:events as users meet it: routes of their own beside the packaged ones, each seeing every
 * session's events in seq order; a slow one drops what it cannot queue, counts it, and delays no
 * session; the archive has an event before the client does.
 */
@Timeout(240)
class EventRoutesTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path routes;
    private static Path seen;
    private static ParleyServer parley;

    @BeforeAll
    static void start() throws Exception {
        routes = Files.createTempDirectory(Path.of("target"), "routes");
        seen = Files.createTempDirectory(Path.of("target"), "seen").toAbsolutePath();
        // Every event, one line per event, appended to a file per session, from four threads.
        Files.writeString(routes.resolve("every-event.camel.yaml"), """
                - route:
                    id: every-event
                    from:
                      uri: parley:events
                      parameters:
                        concurrency: 4
                      steps:
                        - setBody:
                            simple:
                              expression: "${body[seq]} ${body[type]}\\n"
                              trim: false
                        - to: "file:%s?fileName=${header.ParleySessionId}.txt&fileExist=Append"
                """.formatted(seen));
        // A sink far slower than events come, with a small queue.
        Files.writeString(routes.resolve("slow-sink.camel.yaml"), """
                - route:
                    id: slow-sink
                    from:
                      uri: parley:events
                      parameters:
                        queueSize: 2
                        concurrency: 1
                      steps:
                        - delay:
                            constant: 3000
                """);
        Map<String, String> settings = new HashMap<>();
        // The packaged routes, then these two: a routes folder where Parley runs adds its files.
        copyPackagedRoutes(routes);
        settings.put("parley.routes.dir", routes.toString());
        parley = ParleyServer.start(settings);
    }

    @AfterAll
    static void stop() {
        if (parley != null) {
            parley.close();
        }
    }

    @Test
    void everyRouteSeesEachSessionsEventsOnceInSeqOrderWhileSessionsRunSideBySide() throws Exception {
        CompletableFuture<ListenClient> a = CompletableFuture.supplyAsync(() -> say("0880"));
        CompletableFuture<ListenClient> b = CompletableFuture.supplyAsync(() -> say("0920"));
        for (ListenClient client : List.of(a.join(), b.join())) {
            String session = client.events().get(0).json().path("session_id").asText();
            List<String> expected = client.events().stream()
                    .map(e -> e.json().path("seq").asLong() + " " + e.type()).toList();
            Path file = seen.resolve(session + ".txt");
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (lines(file).size() < expected.size() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(expected, lines(file), "the route saw what the client saw, in the same order");
        }
    }

    @Test
    void aSlowRouteDropsWhatItCannotQueueCountsItAndDelaysNoSession() throws Exception {
        long started = System.nanoTime();
        ListenClient client = say("0920");
        long took = Duration.ofNanos(System.nanoTime() - started).toMillis();
        long speech = LibriVox.get("0920").durationMs();
        assertTrue(took < speech + 5000, "a session of " + speech + " ms took " + took + " ms beside a slow route");
        assertTrue(client.types().contains("translation.final"));

        JsonNode details = eventRoutes();
        assertTrue(details.path("route.slow-sink.dropped").asLong() > 0, "dropped events are counted: " + details);
        assertTrue(details.path("route.slow-sink.queued").asLong() <= 2, "the queue stays bounded: " + details);
        assertEquals(0, details.path("route.client.dropped").asLong(), "other routes lose nothing: " + details);
        assertEquals(0, details.path("route.every-event.dropped").asLong(), "other routes lose nothing: " + details);
    }

    @Test
    void anEventIsInTheArchiveBeforeTheClientReceivesIt() throws Exception {
        WavFile audio = LibriVox.get("0880").at(24000);
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?targets=es"))) {
            String session = client.await("session.created", WAIT).json().path("session_id").asText();
            client.stream(audio.pcm(), 1920, 48000, false);
            client.endInput();
            // Checked as each event arrives: its line is already in transcript.jsonl.
            for (String type : List.of("transcript.final", "translation.final", "session.closed")) {
                JsonNode event = client.await(type, WAIT).json();
                String archived = Files.readString(transcript(session));
                assertTrue(archived.contains(event.path("event_id").asText()),
                        type + " reached the client before the archive had it");
            }
        }
    }

    @Test
    void anUnknownEventTypeStopsStartUpNamingIt() throws Exception {
        Path bad = Files.createTempDirectory(Path.of("target"), "routes-bad");
        Files.writeString(bad.resolve("typo.camel.yaml"), """
                - route:
                    from:
                      uri: parley:events?types=transcript.finale
                      steps:
                        - to: log:typo
                """);
        Exception refused = assertThrows(Exception.class, () -> {
            var main = Parley.create(Map.of("parley.routes.dir", bad.toString(), "parley.port", "0",
                    "parley.host", "127.0.0.1", "parley.recognizer.pocketsphinx.warm-decoders", "0"));
            try {
                main.start();
            } finally {
                main.stop();
            }
        });
        String reasons = Stream.iterate((Throwable) refused, t -> t != null, Throwable::getCause)
                .map(Throwable::getMessage).reduce("", (x, y) -> x + " " + y);
        assertTrue(reasons.contains("unknown event types [transcript.finale]"), reasons);
    }

    private static ListenClient say(String recording) {
        try {
            WavFile audio = LibriVox.get(recording).at(24000);
            ListenClient client = ListenClient.connect(parley.ws("/v1/listen?targets=es"));
            client.stream(audio.pcm(), 1920, 48000, true);
            client.endInput();
            client.await("session.closed", WAIT);
            client.awaitClose(Duration.ofSeconds(10));
            return client;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path transcript(String session) throws Exception {
        try (Stream<Path> files = Files.walk(parley.archive())) {
            return files.filter(p -> p.endsWith(Path.of(session, "transcript.jsonl"))).findFirst().orElseThrow();
        }
    }

    private static List<String> lines(Path file) throws Exception {
        return Files.exists(file) ? Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList() : new ArrayList<>();
    }

    private static JsonNode eventRoutes() throws Exception {
        for (JsonNode check : JSON.readTree(parley.get("/observe/health").body()).path("checks")) {
            if (check.path("name").asText().equals("event-routes")) {
                return check.path("details");
            }
        }
        throw new AssertionError("no event-routes check");
    }

    private static void copyPackagedRoutes(Path to) throws Exception {
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }
}
