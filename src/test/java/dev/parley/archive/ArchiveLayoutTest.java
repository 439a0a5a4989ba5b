package dev.parley.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.session.SessionEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArchiveLayoutTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path root;

    @Test
    void sessionFolderIsUnderItsUtcStartDateAndHoldsTheNamedFiles() throws IOException {
        // 23:59 UTC on the 24th is already the 25th east of UTC: the folder follows UTC.
        Instant started = Instant.parse("2026-11-24T23:59:30Z");
        TranscriptArchive archive = new TranscriptArchive(root);
        SessionArchive session = archive.open(Events.SESSION, started, List.of("speaker"), 16000, "pcm16");
        Path folder = root.resolve("2026/11/24/" + Events.SESSION);
        assertEquals(folder.toAbsolutePath(), session.folder());

        session.writeCallJson(Map.of("id", Events.SESSION, "started_at", started));
        session.append(Events.emit(SessionEvent.of("session.created")));
        session.append(Events.fin("item_1", "speaker", "en", "Hello there.", 100, 900));
        session.append(Events.translation("item_1", "speaker", "es", "Hola.", 100, 900));
        session.appendAudio("speaker", new byte[320]);
        session.writeTts("item_1", "es", new byte[] {'R', 'I', 'F', 'F'});
        session.close(Map.of("id", Events.SESSION, "ended_at", "2026-11-25T00:10:00Z"));

        assertEquals(new TreeSet<>(List.of(
                        "2026/11/24/" + Events.SESSION + "/call.json",
                        "2026/11/24/" + Events.SESSION + "/transcript.jsonl",
                        "2026/11/24/" + Events.SESSION + "/audio.wav",
                        "2026/11/24/" + Events.SESSION + "/captions.en.vtt",
                        "2026/11/24/" + Events.SESSION + "/captions.en.srt",
                        "2026/11/24/" + Events.SESSION + "/captions.es.vtt",
                        "2026/11/24/" + Events.SESSION + "/captions.es.srt",
                        "2026/11/24/" + Events.SESSION + "/tts/item_1.es.wav")),
                filesUnder(root), "no other file, and no temp file left behind");
        assertEquals("2026-11-25T00:10:00Z", JSON.readTree(folder.resolve("call.json").toFile()).path("ended_at").asText());
        assertFalse(JSON.readTree(folder.resolve("call.json").toFile()).has("started_at"), "the final call.json replaces the first");
    }

    @Test
    void callJsonIsRewrittenWholeAndWritesTimesAsIso() throws IOException {
        SessionArchive session = new TranscriptArchive(root).open(Events.SESSION, Instant.parse("2026-01-02T03:04:05Z"),
                List.of("speaker"), 24000, "pcm16");
        Map<String, Object> call = new LinkedHashMap<>();
        call.put("id", Events.SESSION);
        call.put("started_at", Instant.parse("2026-01-02T03:04:05.100Z"));
        call.put("engines", Map.of("recognizer", "pocketsphinx"));
        call.put("consent", Map.of("recording", true));
        session.writeCallJson(call);
        JsonNode json = JSON.readTree(session.folder().resolve("call.json").toFile());
        assertEquals("2026-01-02T03:04:05.100Z", json.path("started_at").asText());
        assertTrue(json.path("consent").path("recording").asBoolean());
        call.put("ended_at", Instant.parse("2026-01-02T03:14:05Z"));
        session.writeCallJson(call);
        assertEquals("2026-01-02T03:14:05Z",
                JSON.readTree(session.folder().resolve("call.json").toFile()).path("ended_at").asText());
        session.close(null);
        assertEquals("2026-01-02T03:14:05Z", JSON.readTree(session.folder().resolve("call.json").toFile())
                .path("ended_at").asText(), "close without a final call keeps the last call.json");
    }

    @Test
    void partialsAreNotArchivedAndTtsAudioLosesItsBase64Audio() throws IOException {
        SessionArchive session = new TranscriptArchive(root).open(Events.SESSION, Instant.now(), List.of("speaker"), 16000, "pcm16");
        session.append(Events.emit(SessionEvent.of("transcript.partial").itemId("item_1").text("Hel")));
        session.append(Events.emit(SessionEvent.of("tts.audio").itemId("item_1").language("es")
                .field("format", "wav").field("audio", "UklGRiQAAABXQVZF")));
        session.close(null);
        List<String> lines = SessionArchive.readTranscript(session.folder().resolve("transcript.jsonl"));
        assertEquals(1, lines.size());
        JsonNode tts = JSON.readTree(lines.get(0));
        assertEquals("tts.audio", tts.path("type").asText());
        assertEquals("wav", tts.path("format").asText());
        assertEquals("item_1", tts.path("item_id").asText());
        assertFalse(tts.has("audio"));
    }

    @Test
    void closeIsIdempotentAndLaterCallsAreRefused() {
        SessionArchive session = new TranscriptArchive(root).open(Events.SESSION, Instant.now(), List.of("speaker"), 8000, "mulaw");
        session.close(Map.of("id", Events.SESSION));
        session.close(Map.of("id", "other"));
        session.close();
        assertTrue(session.isClosed());
        assertThrows(IllegalStateException.class, () -> session.append(Events.emit(SessionEvent.of("error"))));
        assertThrows(IllegalStateException.class, () -> session.appendAudio("speaker", new byte[2]));
        assertThrows(IllegalStateException.class, () -> session.writeTts("item_1", "es", new byte[4]));
        assertThrows(IllegalStateException.class, () -> session.writeCallJson(Map.of()));
    }

    @Test
    void aSessionIsArchivedOnceAndBadSettingsAreRefused() {
        TranscriptArchive archive = new TranscriptArchive(root);
        Instant now = Instant.now();
        archive.open(Events.SESSION, now, List.of("speaker"), 16000, "pcm16").close();
        assertThrows(IllegalStateException.class, () -> archive.open(Events.SESSION, now, List.of("speaker"), 16000, "pcm16"));
        assertThrows(IllegalArgumentException.class, () -> archive.open("ses_b", now, List.of(), 16000, "pcm16"));
        assertThrows(IllegalArgumentException.class, () -> archive.open("ses_b", now, List.of("a", "a"), 16000, "pcm16"));
        assertThrows(IllegalArgumentException.class, () -> archive.open("ses_b", now, List.of("a"), 0, "pcm16"));
        assertThrows(IllegalArgumentException.class, () -> archive.open("ses_b", now, List.of("a"), 8000, "alaw"));
        assertFalse(Files.exists(archive.folderOf("ses_b", now)));
    }

    static TreeSet<String> filesUnder(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .map(p -> dir.relativize(p).toString().replace('\\', '/'))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
