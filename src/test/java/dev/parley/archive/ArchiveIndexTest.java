package dev.parley.archive;

import dev.parley.session.SessionEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The archive's search index: what it finds, how it pages, and that it forgets and rebuilds. */
class ArchiveIndexTest {

    @TempDir
    Path dir;
    private TranscriptArchive archive;
    private ArchiveIndex index;
    private int seq;

    @BeforeEach
    void open() {
        archive = new TranscriptArchive(dir.resolve("archive"));
        index = new ArchiveIndex(archive, dir.resolve("index"));
    }

    @AfterEach
    void close() {
        index.close();
    }

    /** A session archived and indexed as Parley does it: files first, then the index, event by event. */
    private void call(String id, Instant started, Map<String, String> metadata, String... finals) {
        SessionArchive files = archive.open(id, started, List.of("customer", "agent"), 8000, "mulaw");
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("id", id);
        settings.put("ingest", "twilio");
        settings.put("channels", List.of("customer", "agent"));
        settings.put("metadata", metadata);
        settings.put("started_at", started.toString());
        Map<String, Object> call = new LinkedHashMap<>(settings);
        call.put("session_id", id);
        files.writeCallJson(call);
        seq = 0;
        emit(files, id, started, SessionEvent.of("session.created").field("session", settings));
        int item = 0;
        for (String text : finals) {
            item++;
            emit(files, id, started, SessionEvent.of("transcript.final").itemId("item_" + item).channel("customer")
                    .language("en").text(text).span(item * 1000L, item * 1000L + 800));
            emit(files, id, started, SessionEvent.of("translation.final").itemId("item_" + item).channel("customer")
                    .language("es").text("es: " + text.toUpperCase()).span(item * 1000L, item * 1000L + 800));
        }
        SessionEvent closed = new SessionEvent(SessionEvent.of("session.closed").field("reason", "stop"), "evt_x", id, ++seq,
                started.plusSeconds(60));
        files.append(closed);
        call.put("ended_at", closed.emittedAt());
        files.close(call);
        index.record(closed, started);
    }

    private void emit(SessionArchive files, String id, Instant started, SessionEvent.Draft draft) {
        SessionEvent event = new SessionEvent(draft, "evt_" + seq, id, ++seq, started.plusSeconds(seq));
        files.append(event);
        index.record(event, started);
    }

    private List<String> ids(ArchiveIndex.Page page) {
        return page.hits().stream().map(ArchiveIndex.Hit::sessionId).toList();
    }

    private ArchiveIndex.Page words(String words) {
        return index.search(new ArchiveIndex.Search(words, null, null, null, 1, 50));
    }

    @Test
    void findsCallsByEveryWordOfTheirTranscriptsAndTranslations() {
        call("ses_a", Instant.parse("2026-12-01T10:00:00Z"), Map.of("call_sid", "CA1"), "my card was charged twice", "thank you");
        call("ses_b", Instant.parse("2026-12-02T10:00:00Z"), Map.of("call_sid", "CA2"), "the parcel never arrived");

        assertEquals(List.of("ses_a"), ids(words("charged")));
        assertEquals(List.of("ses_a"), ids(words("Card TWICE")), "words are matched whatever their case, all of them");
        assertEquals(List.of(), ids(words("card parcel")), "every word must be in the call");
        assertEquals(List.of("ses_b"), ids(words("PARCEL")));
        assertEquals(List.of("ses_b"), ids(words("es: the parcel never arrived")), "translations are searched too");
        assertEquals(List.of("ses_b", "ses_a"), ids(words("")), "no words: every call, newest first");
        assertEquals("my card was charged twice thank you", ids(words("thank")).isEmpty() ? "" :
                words("thank").hits().get(0).summary().get("snippet"));
    }

    @Test
    void findsCallsByMetadataValueAndDateRangeAndPagesThem() {
        for (int day = 1; day <= 9; day++) {
            call("ses_d" + day, Instant.parse("2026-11-0" + day + "T12:00:00Z"), Map.of("queue", day % 2 == 0 ? "billing" : "sales"),
                    "hello number " + day);
        }
        assertEquals(List.of("ses_d8", "ses_d6", "ses_d4", "ses_d2"),
                ids(index.search(new ArchiveIndex.Search(null, "Billing", null, null, 1, 50))));
        assertEquals(List.of("ses_d5", "ses_d4", "ses_d3"), ids(index.search(new ArchiveIndex.Search("hello", null,
                Instant.parse("2026-11-03T00:00:00Z"), Instant.parse("2026-11-06T00:00:00Z"), 1, 50))));
        ArchiveIndex.Page second = index.search(new ArchiveIndex.Search("hello", null, null, null, 2, 4));
        assertEquals(9, second.total());
        assertEquals(List.of("ses_d5", "ses_d4", "ses_d3", "ses_d2"), ids(second));
        assertEquals(List.of("ses_d1"), ids(index.search(new ArchiveIndex.Search("hello", null, null, null, 3, 4))));
    }

    @Test
    void aForgottenSessionIsNeverFoundAgainNorReindexedFromItsLeftovers() throws Exception {
        call("ses_gone", Instant.parse("2026-12-01T10:00:00Z"), Map.of(), "please erase me");
        call("ses_kept", Instant.parse("2026-12-01T11:00:00Z"), Map.of(), "please keep me");
        index.forget("ses_gone");
        assertEquals(List.of("ses_kept"), ids(words("please")));
        assertEquals(1, index.rebuild(), "its folder is still on disk, and still not indexed");
        assertEquals(List.of("ses_kept"), ids(words("please")));
        assertTrue(index.folder("ses_gone").isEmpty());
    }

    @Test
    void aSessionWhoseFolderIsGoneIsDroppedAsItIsFound() throws Exception {
        call("ses_x", Instant.parse("2026-12-01T10:00:00Z"), Map.of(), "deleted behind the index's back");
        Path folder = index.folder("ses_x").orElseThrow();
        try (var files = Files.walk(folder)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertEquals(List.of(), ids(words("deleted")));
        assertEquals(0, words("deleted").total());
    }

    @Test
    void rebuildsFromTheArchiveAloneWhatTheLiveUpdatesBuilt() throws Exception {
        call("ses_r1", Instant.parse("2026-12-03T10:00:00Z"), Map.of("crm", "T-9"), "first call about a refund");
        call("ses_r2", Instant.parse("2026-12-04T10:00:00Z"), Map.of(), "second call about delivery");
        index.close();
        try (var files = Files.walk(dir.resolve("index"))) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        index = new ArchiveIndex(archive, dir.resolve("index"));
        assertTrue(index.empty());
        assertEquals(2, index.rebuild());
        assertEquals(List.of("ses_r1"), ids(words("refund")));
        assertEquals(List.of("ses_r1"), ids(index.search(new ArchiveIndex.Search(null, "t-9", null, null, 1, 10))));
        assertEquals(List.of("ses_r2", "ses_r1"), ids(words("call")));
        assertTrue(index.sizeOnDisk() > 0);
    }
}
