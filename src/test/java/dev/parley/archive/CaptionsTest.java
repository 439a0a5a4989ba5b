package dev.parley.archive;

import dev.parley.session.SessionEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CaptionsTest {

    @TempDir
    Path root;

    private SessionArchive open(String... channels) {
        return new TranscriptArchive(root).open(Events.SESSION, Instant.now(), List.of(channels), 16000, "pcm16");
    }

    private String read(SessionArchive session, String name) throws IOException {
        return Files.readString(session.folder().resolve(name));
    }

    @Test
    void finalsGoToTheSourceLanguageAndTranslationsToTheTargetLanguage() throws IOException {
        SessionArchive session = open("speaker");
        session.append(Events.fin("item_1", "speaker", "en", "Good morning.", 1200, 2500));
        session.append(Events.translation("item_1", "speaker", "es", "Buenos días.", 1200, 2500));
        session.append(Events.translation("item_1", "speaker", "de", "Guten Morgen.", 1200, 2500));
        session.append(Events.fin("item_2", "speaker", "en", "It is late.", 3_723_456, 3_725_000));
        session.append(Events.translation("item_2", "speaker", "es", "Es tarde.", 3_723_456, 3_725_000));
        session.close(null);

        assertEquals("WEBVTT\n\n"
                + "00:00:01.200 --> 00:00:02.500\nGood morning.\n\n"
                + "01:02:03.456 --> 01:02:05.000\nIt is late.\n\n", read(session, "captions.en.vtt"));
        assertEquals("1\n00:00:01,200 --> 00:00:02,500\nGood morning.\n\n"
                + "2\n01:02:03,456 --> 01:02:05,000\nIt is late.\n\n", read(session, "captions.en.srt"));
        List<Captions.Cue> es = Captions.parseVtt(read(session, "captions.es.vtt")).cues();
        assertEquals(List.of(new Captions.Cue(1200, 2500, null, "Buenos días."),
                new Captions.Cue(3_723_456, 3_725_000, null, "Es tarde.")), es);
        assertEquals(2, Captions.parseSrt(read(session, "captions.es.srt")).cues().size());
        assertEquals(1, Captions.parseVtt(read(session, "captions.de.vtt")).cues().size());
    }

    @Test
    void severalChannelsLabelEachCueWithItsSpeaker() throws IOException {
        SessionArchive session = open("customer", "agent");
        session.append(Events.fin("item_1", "customer", "en", "My card was declined.", 500, 2000));
        session.append(Events.fin("item_2", "agent", "en", "Let me check that.", 2100, 3000));
        session.close(null);

        String vtt = read(session, "captions.en.vtt");
        assertTrue(vtt.contains("\n<v customer>My card was declined.\n"), vtt);
        List<Captions.Cue> cues = Captions.parseVtt(vtt).cues();
        assertEquals("customer", cues.get(0).speaker());
        assertEquals("agent", cues.get(1).speaker());
        List<Captions.Cue> srt = Captions.parseSrt(read(session, "captions.en.srt")).cues();
        assertEquals("customer: My card was declined.", srt.get(0).text());
        assertEquals("agent: Let me check that.", srt.get(1).text());
    }

    @Test
    void whatTheFormatsReserveIsEscaped() throws IOException {
        SessionArchive session = open("speaker");
        String nasty = "Tom & Jerry <b>bold</b> a --> b ---> c &amp;\nsecond line\n\nafter a blank line\u2028\u0007end";
        session.append(Events.fin("item_1", "speaker", "en", nasty, 0, 1000));
        session.append(Events.fin("item_2", "speaker", "en", "00:00:01.000 --> 00:00:02.000", 1000, 2000));
        session.close(null);

        List<Captions.Cue> vtt = Captions.parseVtt(read(session, "captions.en.vtt")).cues();
        assertEquals("Tom & Jerry <b>bold</b> a --> b ---> c &amp; second line after a blank line end", vtt.get(0).text(),
                "VTT keeps the text exactly, escaped; line breaks become spaces");
        assertEquals("00:00:01.000 --> 00:00:02.000", vtt.get(1).text());
        List<Captions.Cue> srt = Captions.parseSrt(read(session, "captions.en.srt")).cues();
        assertEquals(2, srt.size());
        assertEquals("Tom & Jerry <b>bold</b> a -> b -> c &amp; second line after a blank line end", srt.get(0).text());
        assertEquals("00:00:01.000 -> 00:00:02.000", srt.get(1).text());
    }

    @Test
    void emptyTextOrNoSpanMakesNoCue() throws IOException {
        SessionArchive session = open("speaker");
        session.append(Events.fin("item_1", "speaker", "en", "", 0, 1000));
        session.append(Events.fin("item_2", "speaker", "en", " \n\t ", 0, 1000));
        session.append(Events.emit(SessionEvent.of("transcript.final").itemId("item_3").language("en").text("no span")));
        session.append(Events.translation("item_4", "speaker", "fr", "   ", 0, 1000));
        session.append(Events.emit(SessionEvent.of("warning").language("en").text("not a caption")));
        session.close(null);
        assertFalse(Files.exists(session.folder().resolve("captions.en.vtt")));
        assertFalse(Files.exists(session.folder().resolve("captions.fr.srt")));
        assertEquals(5, SessionArchive.readTranscript(session.folder().resolve("transcript.jsonl")).size(),
                "the events themselves are archived");
    }

    @Test
    void aCueThatStartsEarlierThanTheLastTakesItsPlaceAndTheFilesStayValid() throws IOException {
        SessionArchive session = open("customer", "agent");
        // The agent's short answer is final before the customer's long sentence that began earlier.
        session.append(Events.fin("item_2", "agent", "en", "Yes.", 3000, 3400));
        assertEquals(1, Captions.parseSrt(read(session, "captions.en.srt")).cues().size());
        session.append(Events.fin("item_1", "customer", "en", "I was saying that...", 1000, 5000));
        session.append(Events.fin("item_3", "agent", "en", "Go on.", 5200, 5600));
        session.append(Events.fin("item_4", "customer", "en", "Same start.", 5200, 5300));
        session.close(null);

        List<Captions.Cue> vtt = Captions.parseVtt(read(session, "captions.en.vtt")).cues();
        assertEquals(List.of(1000L, 3000L, 5200L, 5200L), vtt.stream().map(Captions.Cue::startMs).toList());
        assertEquals("I was saying that...", vtt.get(0).text());
        List<Captions.Cue> srt = Captions.parseSrt(read(session, "captions.en.srt")).cues();
        assertEquals("customer: I was saying that...", srt.get(0).text());
        assertEquals("customer: Same start.", srt.get(3).text());
    }

    @Test
    void captionFilesAreValidAfterEveryCue() throws IOException {
        SessionArchive session = open("speaker");
        for (int i = 0; i < 40; i++) {
            long start = (i % 7 == 3) ? i * 900L - 1500 : i * 900L; // some out of order
            session.append(Events.translation("item_" + i, "speaker", "es", "frase " + i, start, start + 800));
            assertEquals(i + 1, Captions.parseVtt(read(session, "captions.es.vtt")).cues().size());
            assertEquals(i + 1, Captions.parseSrt(read(session, "captions.es.srt")).cues().size());
        }
        session.close(null);
        try (var files = Files.list(session.folder())) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temp file left");
        }
    }
}
