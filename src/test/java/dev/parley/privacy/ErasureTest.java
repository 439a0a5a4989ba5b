package dev.parley.privacy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.archive.ArchiveIndex;
import dev.parley.telephony.Archives;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
import dev.parley.testing.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A caller's right to erasure: {@code DELETE /api/sessions/{id}} and {@code ?meta.KEY=VALUE} with an
 * API key remove every file of the sessions, their pending webhook deliveries and dead letters, tell
 * the removal listeners, answer with what was removed, and send {@code session.erased}; after it, 404.
 */
class ErasureTest {

    private static final String KEY = "erasure-test-api-key-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ParleyServer parley;
    private static WebhookReceiver hooks;
    private static final List<String> removedByListener = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        hooks = new WebhookReceiver();
        // A second receiver that is down: its deliveries stay pending (the next try is minutes away).
        String down = "http://127.0.0.1:" + WebhookReceiver.freePort() + "/hooks";
        parley = ParleyServer.start(Map.of("parley.auth.api-keys", KEY, "parley.webhooks.urls", hooks.url() + "," + down,
                "parley.webhooks.secret", WebhookReceiver.SECRET, "parley.webhooks.initial-backoff-ms", "600000",
                "parley.tts.enabled", "false"));
        parley.camel().getRegistry().lookupByNameAndType("erasure", Erasure.class)
                .addListener((id, cause) -> removedByListener.add(id + ":" + cause));
    }

    @AfterAll
    static void stop() {
        if (parley != null) {
            parley.close();
        }
        if (hooks != null) {
            hooks.close();
        }
    }

    private static String call(String callId, String customerId) throws Exception {
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?source=en&rate=16000&meta.call_id=" + callId
                + "&meta.customer_id=" + customerId))) {
            client.stream(WavFile.quiet(16000, 1000), 1280, 32000, false);
            client.endInput();
            client.await("session.closed", Duration.ofSeconds(30));
            return client.events().get(0).json().path("session_id").asText();
        }
    }

    private static HttpResponse<String> delete(String path, String key) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(parley.http(path)).DELETE().timeout(Duration.ofSeconds(30));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return parley.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Every file under {@code root} whose path or content names {@code sessionId}, but for its session.erased notices. */
    private static List<Path> filesOf(Path root, String sessionId) throws Exception {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                if (p.toString().contains(sessionId)) {
                    found.add(p);
                } else if (Files.isRegularFile(p)) {
                    String content = new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.ISO_8859_1);
                    if (content.contains(sessionId) && !content.contains("session.erased")) {
                        found.add(p);
                    }
                }
            }
        }
        return found;
    }

    private static List<Path> pendingOf(String sessionId) throws Exception {
        return filesOf(parley.webhooks().resolve("pending"), sessionId);
    }

    @Test
    void erasingASessionLeavesNothingOfItOnDiskAndA404After() throws Exception {
        String id = call("erase-one", "C-1");
        Path folder = Archives.await(parley.archive(), "call_id", "erase-one", Duration.ofSeconds(10));
        assertTrue(Files.exists(folder.resolve("audio.wav")));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (pendingOf(id).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        List<Path> pending = pendingOf(id);
        assertTrue(!pending.isEmpty(), "no delivery of " + id + " pending for the receiver that is down");
        // One of them given up on, as the spool keeps dead letters.
        Files.copy(pending.get(0), parley.webhooks().resolve("dead").resolve(pending.get(0).getFileName()));

        assertEquals(401, delete("/api/sessions/" + id, null).statusCode());
        assertEquals(401, delete("/api/sessions/" + id, "not-a-key").statusCode());
        HttpResponse<String> erased = delete("/api/sessions/" + id, KEY);
        assertEquals(200, erased.statusCode(), erased.body());
        JsonNode answer = JSON.readTree(erased.body()).path("erased").get(0);
        assertEquals(id, answer.path("session_id").asText());
        List<String> files = new ArrayList<>();
        answer.path("files").forEach(f -> files.add(f.asText()));
        assertTrue(files.stream().anyMatch(f -> f.endsWith(id + "/audio.wav")), files.toString());
        assertTrue(files.stream().anyMatch(f -> f.endsWith(id + "/transcript.jsonl")), files.toString());
        assertTrue(files.stream().anyMatch(f -> f.endsWith(id + "/call.json")), files.toString());
        assertTrue(answer.path("webhooks_pending").asInt() >= 1, answer.toString());
        assertEquals(1, answer.path("webhook_dead_letters").asInt());

        assertTrue(Files.notExists(folder));
        assertEquals(List.of(), filesOf(parley.archive(), id));
        assertEquals(List.of(), filesOf(parley.webhooks(), id));
        assertTrue(removedByListener.contains(id + ":ERASED"), removedByListener.toString());
        assertEquals(404, delete("/api/sessions/" + id, KEY).statusCode());

        JsonNode notice = awaitErased(id);
        assertEquals(answer.path("webhooks_pending").asInt(), notice.path("removed").path("webhooks_pending").asInt());
        assertTrue(notice.path("seq").asLong() > 1);
    }

    @Test
    void erasingByMetadataFindsEveryCallOfThatCustomerInTheIndexOrItsFilesAndNoOther() throws Exception {
        String first = call("customer-a-1", "C-2");
        String second = call("customer-a-2", "C-2");
        String other = call("customer-b-1", "C-3");
        Path otherFolder = Archives.await(parley.archive(), "call_id", "customer-b-1", Duration.ofSeconds(10));
        // The search index answers for the sessions whose end it has taken: their call.json is not read.
        ArchiveIndex index = parley.camel().getRegistry().lookupByNameAndType("archiveIndex", ArchiveIndex.class);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline && index.search(new ArchiveIndex.Search(null, "C-3", null, null, 1, 10)).hits()
                .stream().noneMatch(h -> h.sessionId().equals(other) && h.summary().get("ended_at") != null)) {
            Thread.sleep(50);
        }
        Path otherCall = otherFolder.resolve("call.json");
        Files.writeString(otherCall, Files.readString(otherCall).replace("\"C-3\"", "\"C-2\""));
        // A session the index has not taken (archived by a Parley without one, say) is found from its files.
        String unindexed = "ses_unindexed0000000001";
        Path unindexedFolder = Files.createDirectories(otherFolder.resolveSibling(unindexed));
        Files.writeString(unindexedFolder.resolve("call.json"), "{\"session_id\":\"" + unindexed
                + "\",\"started_at\":\"2026-12-06T10:00:00Z\",\"ended_at\":\"2026-12-06T10:01:00Z\","
                + "\"metadata\":{\"customer_id\":\"C-2\"}}");
        HttpResponse<String> erased = delete("/api/sessions?meta.customer_id=C-2", KEY);
        assertEquals(200, erased.statusCode(), erased.body());
        List<String> ids = new ArrayList<>();
        JSON.readTree(erased.body()).path("erased").forEach(e -> ids.add(e.path("session_id").asText()));
        assertEquals(List.of(first, second, unindexed).stream().sorted().toList(), ids.stream().sorted().toList());
        assertTrue(Files.notExists(unindexedFolder));
        assertEquals(List.of(), filesOf(parley.archive(), first));
        assertEquals(List.of(), filesOf(parley.archive(), second));
        assertTrue(Files.exists(otherFolder.resolve("audio.wav")), other + " was erased too");
        assertEquals(400, delete("/api/sessions", KEY).statusCode());
        assertEquals(400, delete("/api/sessions?customer_id=C-3", KEY).statusCode());
    }

    @Test
    void withoutASearchIndexErasingByMetadataReadsEverySessionsFiles() throws Exception {
        String id = call("customer-d-1", "C-4");
        Path folder = Archives.await(parley.archive(), "call_id", "customer-d-1", Duration.ofSeconds(10));
        Erasure erasure = parley.camel().getRegistry().lookupByNameAndType("erasure", Erasure.class);
        ArchiveIndex index = parley.camel().getRegistry().lookupByNameAndType("archiveIndex", ArchiveIndex.class);
        erasure.searchWith(null);
        try {
            HttpResponse<String> erased = delete("/api/sessions?meta.customer_id=C-4", KEY);
            assertEquals(200, erased.statusCode(), erased.body());
            assertEquals(id, JSON.readTree(erased.body()).path("erased").get(0).path("session_id").asText());
            assertTrue(Files.notExists(folder));
        } finally {
            erasure.searchWith(index);
        }
    }

    @Test
    void aSessionStillOpenIsNotErased() throws Exception {
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?source=en&rate=16000&meta.call_id=still-open"))) {
            client.sendAudio(WavFile.quiet(16000, 200));
            String id = client.await("session.created", Duration.ofSeconds(10)).json().path("session_id").asText();
            HttpResponse<String> refused = delete("/api/sessions/" + id, KEY);
            assertEquals(409, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("session_open"));
            client.endInput();
            client.await("session.closed", Duration.ofSeconds(30));
        }
    }

    private static JsonNode awaitErased(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            for (WebhookReceiver.Delivery d : hooks.verified()) {
                if (d.event().path("type").asText().equals("session.erased") && d.event().path("session_id").asText().equals(id)) {
                    return d.event();
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no session.erased webhook for " + id);
    }

}
