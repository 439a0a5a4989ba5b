package dev.parley.console;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.LogCapture;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console's staff API on a real Parley: who may use it, the live feed of real sessions (one
 * recorded, one not), and the archive as the console reads it: search, ranged audio, downloads.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ConsoleApiTest {

    static final String KEY = "alice-staff-key-0123456789";
    private ParleyServer parley;
    private StaffClient alice;
    private LogCapture log;

    @BeforeAll
    void start() throws Exception {
        log = LogCapture.start();
        parley = ParleyServer.start(Map.of("parley.console.staff", "alice:" + KEY + ",bob:bob-staff-key-0123456789",
                "parley.translation.targets", "es", "parley.session.max-queued-audio-ms", "30000"));
        alice = StaffClient.signIn(parley, "alice", KEY);
    }

    @AfterAll
    void stop() {
        log.close();
        if (parley != null) {
            parley.close();
        }
    }

    private HttpResponse<String> anonymous(String method, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(parley.http(path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void everyConsoleAndSessionsRouteAnswersStrangers401() throws Exception {
        for (String path : List.of("/console", "/console/console.js", "/console/console.css", "/console/me",
                "/console/nosuch.js", "/api/sessions", "/api/sessions/search?q=card", "/api/sessions/ses_abc",
                "/api/sessions/ses_abc/audio.wav", "/api/sessions/ses_abc/transcript.jsonl", "/api/events",
                "/api/events?session=ses_abc")) {
            assertEquals(401, anonymous("GET", path).statusCode(), path);
        }
        for (String path : List.of("/api/sessions/reindex", "/console/logout", "/api/sessions/ses_abc/pause",
                "/api/sessions/ses_abc/resume")) {
            assertEquals(401, anonymous("POST", path).statusCode(), path);
        }
        HttpResponse<String> page = anonymous("GET", "/console");
        assertTrue(page.body().contains("action=\"/console/login\""), "the 401 page is the sign-in form");
        assertFalse(page.body().contains(KEY));
        // A cookie that is not a session's, and a session without its CSRF token for a change.
        assertEquals(401, HttpClient.newHttpClient().send(HttpRequest.newBuilder(parley.http("/api/sessions"))
                .header("Cookie", "parley_staff=forged").build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(401, alice.post("/api/sessions/reindex", false).statusCode());
        assertEquals(200, alice.post("/api/sessions/reindex", true).statusCode());
    }

    @Test
    void staffSignInWithTheirNamedKeyAndGetAStrictHttpOnlyCookie() throws Exception {
        assertEquals(401, StaffClient.signInForm(parley, "alice", "bob-staff-key-0123456789").statusCode(), "bob's key is not alice's");
        assertEquals(401, StaffClient.signInForm(parley, "mallory", KEY).statusCode());
        HttpResponse<String> in = StaffClient.signInForm(parley, "bob", "bob-staff-key-0123456789");
        assertEquals(303, in.statusCode());
        assertEquals("/console", in.headers().firstValue("Location").orElse(""));
        String cookie = in.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cookie.startsWith("parley_staff="), cookie);
        assertTrue(cookie.toLowerCase().contains("httponly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), cookie);
        assertFalse(cookie.contains("Secure"), "cleartext HTTP: a Secure cookie would never come back");
        StaffClient bob = StaffClient.signIn(parley, "bob", "bob-staff-key-0123456789");
        assertEquals("bob", bob.json("/console/me").path("name").asText());
        HttpResponse<String> console = bob.get("/console");
        assertEquals(200, console.statusCode());
        assertTrue(console.body().contains("console.js") && !console.body().contains(KEY));
        assertTrue(console.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'self'"));
        // A form posted from another site is refused, whatever it carries.
        HttpResponse<String> crossSite = HttpClient.newHttpClient().send(HttpRequest.newBuilder(parley.http("/console/login"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Origin", "https://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString("name=bob&key=bob-staff-key-0123456789")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, crossSite.statusCode());
        assertEquals(204, bob.post("/console/logout", true).statusCode());
        assertEquals(401, bob.get("/api/sessions").statusCode(), "signed out: the cookie opens nothing");
    }

    @Test
    void liveFeedArchiveSearchRangesAndDownloadsOfRealSessions() throws Exception {
        LibriVox.Recording recorded = LibriVox.get("0870");
        LibriVox.Recording unrecorded = LibriVox.get("0920");
        WavFile a = recorded.at(24000);
        WavFile b = unrecorded.at(24000);
        try (StaffClient.Events all = alice.events("?types=session.created,transcript.final,translation.final,session.closed");
             ListenClient kept = ListenClient.connect(parley.ws("/v1/listen?source=en&targets=es&record=true&meta.call_id=A-1001"));
             ListenClient notKept = ListenClient.connect(parley.ws("/v1/listen?source=en&targets=es&record=false&meta.call_id=B-2002"))) {
            String keptId = kept.await("session.created", Duration.ofSeconds(10)).json().path("session_id").asText();
            String notKeptId = notKept.await("session.created", Duration.ofSeconds(10)).json().path("session_id").asText();

            // Both are in progress: both in the live list, with their health.
            JsonNode live = alice.json("/api/sessions");
            Set<String> liveIds = new HashSet<>();
            live.path("sessions").forEach(s -> liveIds.add(s.path("id").asText()));
            assertTrue(liveIds.containsAll(List.of(keptId, notKeptId)), live.toString());
            JsonNode first = live.path("sessions").get(0);
            assertEquals("listen", first.path("ingest").asText());
            assertTrue(first.path("channel_health").get(0).has("lag_ms") && first.path("channel_health").get(0).has("dropped_ms"));
            assertEquals(Boolean.FALSE, first.path("can_pause").isBoolean() ? first.path("can_pause").asBoolean() : null,
                    "a browser session cannot pause, and the list says so: " + first);

            // Acting on a call: staff may ask to pause its recording (with the CSRF token); a browser
            // session's client has no way to pause, and says so.
            assertEquals(401, alice.post("/api/sessions/" + keptId + "/pause", false).statusCode());
            HttpResponse<String> pause = alice.post("/api/sessions/" + keptId + "/pause", true);
            assertEquals(409, pause.statusCode());
            assertEquals("cannot_pause", StaffClient.JSON.readTree(pause.body()).path("error").path("code").asText());

            Thread other = new Thread(() -> {
                try {
                    notKept.stream(b.pcm(), 24000 * 2 / 25, 24000 * 2, false);
                    notKept.endInput();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            other.start();
            int half = a.pcm().length / 2 & ~1;
            kept.stream(Arrays.copyOf(a.pcm(), half), 24000 * 2 / 25, 24000 * 2, false);
            JsonNode firstFinal = all.await(e -> e.path("type").asText().equals("transcript.final")
                    && e.path("session_id").asText().equals(keptId), Duration.ofSeconds(60));

            // Joining mid-call: what was said so far, from the session's start, then what follows.
            try (StaffClient.Events watch = alice.events("?session=" + keptId)) {
                watch.await(e -> e.path("item_id").asText().equals(firstFinal.path("item_id").asText())
                        && e.path("type").asText().equals("transcript.final"), Duration.ofSeconds(10));
                assertEquals("session.created", watch.received.get(0).path("type").asText());
                kept.stream(Arrays.copyOfRange(a.pcm(), half, a.pcm().length), 24000 * 2 / 25, 24000 * 2, false);
                kept.stream(WavFile.quiet(24000, 1000), 24000 * 2 / 25, 24000 * 2, false);
                kept.endInput();
                watch.await(e -> e.path("type").asText().equals("session.closed"), Duration.ofSeconds(60));
                long seq = 0;
                for (JsonNode e : watch.received) {
                    assertEquals(keptId, e.path("session_id").asText(), "a watched stream has its own session's events only");
                    assertTrue(e.path("seq").asLong() > seq, "in seq order, none twice: " + watch.received);
                    seq = e.path("seq").asLong();
                }
            }
            other.join();
            all.await(e -> e.path("type").asText().equals("session.closed") && e.path("session_id").asText().equals(notKeptId),
                    Duration.ofSeconds(60));
            JsonNode translation = all.await(e -> e.path("type").asText().equals("translation.final")
                    && e.path("session_id").asText().equals(keptId), Duration.ofSeconds(5));
            assertEquals("es", translation.path("language").asText());
            all.await(e -> e.path("type").asText().equals("transcript.final") && e.path("session_id").asText().equals(notKeptId),
                    Duration.ofSeconds(5));

            // The archive: the recorded session is found by its words and its metadata, the other never.
            List<String> keptWords = words(kept.events("transcript.final"));
            List<String> otherWords = words(notKept.events("transcript.final"));
            String word = keptWords.stream().filter(w -> w.length() > 3 && !otherWords.contains(w)).findFirst().orElseThrow();
            JsonNode found = awaitSearch("?q=" + word, 1);
            assertEquals(keptId, found.path("sessions").get(0).path("id").asText());
            assertEquals(keptId, awaitSearch("?meta=a-1001", 1).path("sessions").get(0).path("id").asText());
            assertEquals(0, alice.json("/api/sessions/search?meta=B-2002").path("total").asInt(), "record=false is never archived");
            String otherWord = otherWords.stream().filter(w -> w.length() > 3 && !keptWords.contains(w)).findFirst().orElseThrow();
            assertEquals(0, alice.json("/api/sessions/search?q=" + otherWord).path("total").asInt());
            assertEquals(404, alice.get("/api/sessions/" + notKeptId).statusCode());
            assertEquals(404, alice.get("/api/sessions/" + notKeptId + "/audio.wav").statusCode());
            String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
            assertEquals(1, alice.json("/api/sessions/search?q=" + word + "&from=" + today + "&to=" + today).path("total").asInt());
            assertEquals(0, alice.json("/api/sessions/search?q=" + word + "&to=2020-01-01").path("total").asInt());
            assertEquals(400, alice.get("/api/sessions/search?from=yesterday").statusCode());

            JsonNode archived = alice.json("/api/sessions/" + keptId);
            assertFalse(archived.path("live").asBoolean());
            assertEquals("A-1001", archived.path("call").path("metadata").path("call_id").asText());
            assertTrue(archived.path("files").toString().contains("captions.es.vtt"), archived.toString());

            // Audio: whole, and in ranges as a player seeking asks for them.
            HttpResponse<byte[]> whole = alice.bytes("/api/sessions/" + keptId + "/audio.wav");
            assertEquals(200, whole.statusCode());
            assertEquals("RIFF", new String(whole.body(), 0, 4, StandardCharsets.US_ASCII));
            int size = whole.body().length;
            HttpResponse<byte[]> part = alice.bytes("/api/sessions/" + keptId + "/audio.wav", "Range", "bytes=1000-1999");
            assertEquals(206, part.statusCode());
            assertEquals("bytes 1000-1999/" + size, part.headers().firstValue("Content-Range").orElse(""));
            assertTrue(Arrays.equals(Arrays.copyOfRange(whole.body(), 1000, 2000), part.body()));
            HttpResponse<byte[]> tail = alice.bytes("/api/sessions/" + keptId + "/audio.wav", "Range", "bytes=-100");
            assertEquals(206, tail.statusCode());
            assertEquals(100, tail.body().length);
            assertEquals(416, alice.bytes("/api/sessions/" + keptId + "/audio.wav", "Range", "bytes=" + size + "-").statusCode());
            assertEquals(size - 44, ByteBuffer.wrap(whole.body(), 40, 4).order(ByteOrder.LITTLE_ENDIAN).getInt(),
                    "a whole WAV: its data chunk runs to the end");

            // Downloads parse.
            HttpResponse<String> jsonl = alice.get("/api/sessions/" + keptId + "/transcript.jsonl?download=1");
            assertTrue(jsonl.headers().firstValue("Content-Disposition").orElse("").startsWith("attachment"));
            List<JsonNode> lines = new ArrayList<>();
            for (String l : jsonl.body().split("\n")) {
                lines.add(StaffClient.JSON.readTree(l));
            }
            assertEquals("session.created", lines.get(0).path("type").asText());
            assertEquals("session.closed", lines.get(lines.size() - 1).path("type").asText());
            String text = alice.get("/api/sessions/" + keptId + "/transcript.txt").body();
            long finals = lines.stream().filter(l -> l.path("type").asText().equals("transcript.final")).count();
            assertEquals(finals, text.lines().filter(l -> l.matches("\\[\\d\\d:\\d\\d:\\d\\d\\.\\d{3} - \\d\\d:\\d\\d:\\d\\d\\.\\d{3}] speaker en: .+")).count(), text);
            assertTrue(text.contains(word) || text.toLowerCase().contains(word), text);
            String vtt = alice.get("/api/sessions/" + keptId + "/captions.es.vtt").body();
            assertTrue(vtt.startsWith("WEBVTT") && vtt.contains(" --> "), vtt);
            String srt = alice.get("/api/sessions/" + keptId + "/captions.en.srt").body();
            assertTrue(srt.startsWith("1\n") || srt.startsWith("1\r\n"), srt);
            assertTrue(srt.matches("(?s).*\\d\\d:\\d\\d:\\d\\d,\\d{3} --> \\d\\d:\\d\\d:\\d\\d,\\d{3}.*"), srt);
            assertEquals(404, alice.get("/api/sessions/" + keptId + "/..%2Fcall.json").statusCode());
            assertEquals(404, alice.get("/api/sessions/" + keptId + "/captions.xx.vtt").statusCode());

            // Every action is in the audit log, with who did it.
            for (String line : List.of("staff=alice action=sign_in", "staff=alice action=watch session=" + keptId,
                    "staff=alice action=pause session=" + keptId, "staff=alice action=search q=\"" + word + "\"",
                    "staff=alice action=open_archived session=" + keptId,
                    "staff=alice action=download session=" + keptId + " file=transcript.jsonl",
                    "staff=alice action=play session=" + keptId + " file=audio.wav")) {
                assertTrue(log.text().contains(line), "audit log has: " + line);
            }
        }
    }

    private JsonNode awaitSearch(String query, int total) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        JsonNode found = null;
        while (System.nanoTime() < deadline) {
            found = alice.json("/api/sessions/search" + query);
            if (found.path("total").asInt() >= total) {
                break;
            }
            Thread.sleep(100);
        }
        assertEquals(total, found.path("total").asInt(), query + ": " + found);
        return found;
    }

    private static List<String> words(List<JsonNode> finals) {
        List<String> words = new ArrayList<>();
        finals.forEach(f -> words.addAll(Arrays.asList(f.path("text").asText().toLowerCase().split("\\W+"))));
        return words;
    }
}
