package dev.parley.archive;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PathTraversalTest {

    private static final Instant STARTED = Instant.parse("2026-11-24T07:10:02Z");

    @TempDir
    Path sandbox;
    Path root;
    TranscriptArchive archive;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectory(sandbox.resolve("root"));
        archive = new TranscriptArchive(root);
    }

    static List<String> hostileNames() {
        List<String> names = new ArrayList<>(List.of(
                "../x", "..", ".", "../../../../tmp/evil", "a/b", "a\\b", "/etc/passwd", "/tmp", "C:x", "C:\\x",
                "", " ", "ses_abc ", "ses\n", "ses\u0000x", "x".repeat(65), "x".repeat(10_000),
                "sés", "ses_\u2215x", "\uFF0E\uFF0E", "ses_\u202Etxt", "\uD83D\uDE00", "ses.json", "~", "$HOME", "*"));
        names.add(System.getProperty("java.io.tmpdir"));
        return names;
    }

    @ParameterizedTest
    @MethodSource("hostileNames")
    void hostileSessionIdsAreRefusedAndCreateNothing(String id) throws IOException {
        assertThrows(IllegalArgumentException.class, () -> archive.open(id, STARTED, List.of("speaker"), 16000, "pcm16"));
        assertEquals(Set.of("root"), entries(sandbox));
        assertEquals(Set.of(), entries(root));
    }

    @Test
    void aNullSessionIdIsRefused() throws IOException {
        assertThrows(IllegalArgumentException.class, () -> archive.open(null, STARTED, List.of("speaker"), 16000, "pcm16"));
        assertEquals(Set.of(), entries(root));
    }

    @Test
    void theLongestAllowedIdIsAccepted() {
        String id = "A-z_9".repeat(12) + "abcd";
        assertEquals(64, id.length());
        SessionArchive session = archive.open(id, STARTED, List.of("speaker"), 16000, "pcm16");
        assertTrue(session.folder().startsWith(root));
        session.close();
    }

    @ParameterizedTest
    @MethodSource("hostileNames")
    void hostileItemIdsAndLanguagesAreRefusedForTtsFiles(String name) throws IOException {
        SessionArchive session = archive.open(Events.SESSION, STARTED, List.of("speaker"), 16000, "pcm16");
        Set<String> before = everything(sandbox);
        assertThrows(IllegalArgumentException.class, () -> session.writeTts(name, "es", new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> session.writeTts("item_1", name, new byte[4]));
        assertEquals(before, everything(sandbox), "nothing created anywhere");
        session.close();
    }

    @Test
    void aHostileLanguageInAnEventArchivesTheEventButNoCaptionFile() throws IOException {
        SessionArchive session = archive.open(Events.SESSION, STARTED, List.of("speaker"), 16000, "pcm16");
        session.append(Events.fin("item_1", "speaker", "../../../evil", "text", 0, 100));
        session.append(Events.translation("item_1", "speaker", "/tmp/evil", "text", 0, 100));
        session.close();
        assertEquals(Set.of("transcript.jsonl", "audio.wav"), entries(session.folder()));
        assertEquals(2, SessionArchive.readTranscript(session.folder().resolve("transcript.jsonl")).size());
        assertEquals(Set.of("root"), entries(sandbox));
    }

    @Test
    void hostileChannelNamesAreRefused() {
        for (String channel : List.of("../x", "a b", "", "<v>")) {
            assertThrows(IllegalArgumentException.class,
                    () -> archive.open(Events.SESSION, STARTED, List.of(channel), 16000, "pcm16"));
        }
    }

    @Test
    void aLinkPlantedInTheRootDoesNotLeadOutOfIt() throws IOException {
        Path outside = Files.createDirectory(sandbox.resolve("outside"));
        Files.createSymbolicLink(root.resolve("2026"), outside);
        assertThrows(IllegalArgumentException.class,
                () -> archive.open(Events.SESSION, STARTED, List.of("speaker"), 16000, "pcm16"));
        try (var files = Files.walk(outside)) {
            assertEquals(1, files.count(), "nothing created outside the root");
        }
    }

    @Test
    void unknownAudioChannelsAreRefused() {
        SessionArchive session = archive.open(Events.SESSION, STARTED, List.of("customer", "agent"), 8000, "mulaw");
        assertThrows(IllegalArgumentException.class, () -> session.appendAudio("../agent", new byte[8]));
        assertThrows(IllegalArgumentException.class, () -> session.appendAudio(null, new byte[8]));
        session.close();
        assertFalse(Files.exists(root.resolve("agent")));
    }

    private static Set<String> entries(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }

    private static Set<String> everything(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            return files.map(p -> dir.relativize(p).toString()).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }
}
