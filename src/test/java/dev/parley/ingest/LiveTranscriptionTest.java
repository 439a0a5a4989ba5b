package dev.parley.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
import dev.parley.testing.WordErrorRate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The core promise, end to end: five people speak at once over real WebSockets, at real-time pace,
 * in 40 ms frames of 24 kHz PCM16, and each sees partial and final transcripts of what they said.
 */
class LiveTranscriptionTest {

    private static final Set<String> ENVELOPE = Set.of("type", "v", "event_id", "session_id", "seq", "emitted_at");

    private static ParleyServer parley;
    private static final List<Session> sessions = new ArrayList<>();

    record Session(LibriVox.Recording recording, WavFile audio, ListenClient client) {
    }

    @BeforeAll
    static void fiveSpeakersAtOnce() throws Exception {
        // A generous queue: this test is about what is recognised, not about capacity (see the benchmark).
        parley = ParleyServer.start(Map.of("parley.recognizer.pocketsphinx.warm-decoders", "5",
                "parley.session.max-queued-audio-ms", "20000"));
        List<LibriVox.Recording> recordings = LibriVox.recordings();
        ExecutorService speakers = Executors.newFixedThreadPool(recordings.size());
        List<Future<Session>> running = new ArrayList<>();
        for (LibriVox.Recording recording : recordings) {
            WavFile audio = recording.at(24000);
            running.add(speakers.submit(() -> {
                ListenClient client = ListenClient.connect(parley.ws("/v1/listen?source=en&rate=24000&meta.call_id=" + recording.id()));
                client.stream(audio.pcm(), 24000 * 2 / 25, 24000 * 2, true);
                client.endInput();
                client.await("session.closed", Duration.ofSeconds(60));
                return new Session(recording, audio, client);
            }));
        }
        for (Future<Session> f : running) {
            sessions.add(f.get());
        }
        speakers.shutdown();
    }

    @AfterAll
    static void stop() {
        sessions.forEach(s -> s.client().close());
        if (parley != null) {
            parley.close();
        }
    }

    @Test
    void finalTranscriptsMatchWhatWasSaid() {
        List<String> said = new ArrayList<>();
        List<String> heard = new ArrayList<>();
        for (Session s : sessions) {
            said.add(s.recording().transcript());
            heard.add(s.client().events("transcript.final").stream().map(e -> e.path("text").asText())
                    .collect(Collectors.joining(" ")));
            System.out.printf("%s%n  said:  %s%n  heard: %s%n", s.recording().id(), said.get(said.size() - 1),
                    heard.get(heard.size() - 1));
        }
        double wer = WordErrorRate.corpus(said, heard);
        System.out.printf("Corpus WER of live finals (5 concurrent sessions, 24 kHz, 40 ms frames): %.3f%n", wer);
        assertTrue(wer <= 0.40, "corpus WER " + wer + " above 0.40");
    }

    @Test
    void longUtterancesShowPartialsBeforeTheirFinal() {
        int checked = 0;
        for (Session s : sessions) {
            List<ListenClient.Received> events = s.client().events();
            for (int i = 0; i < events.size(); i++) {
                JsonNode fin = events.get(i).json();
                if (!fin.path("type").asText().equals("transcript.final")) {
                    continue;
                }
                long length = fin.path("end_ms").asLong() - fin.path("start_ms").asLong();
                if (length < 2000) {
                    continue;
                }
                String item = fin.path("item_id").asText();
                long partials = events.subList(0, i).stream().map(ListenClient.Received::json)
                        .filter(e -> e.path("type").asText().equals("transcript.partial") && e.path("item_id").asText().equals(item))
                        .count();
                assertTrue(partials >= length / 1000, s.recording().id() + " " + item + ": " + partials
                        + " partials for " + length + " ms of speech");
                checked++;
            }
        }
        assertTrue(checked >= 3, "expected several utterances of 2 s or more, found " + checked);
    }

    @Test
    void partialAndFinalOfAnUtteranceShareOneItemId() {
        for (Session s : sessions) {
            Set<String> finished = new HashSet<>();
            for (JsonNode e : s.client().events().stream().map(ListenClient.Received::json).toList()) {
                String type = e.path("type").asText();
                String item = e.path("item_id").asText(null);
                if (type.equals("transcript.partial")) {
                    assertNotNull(item);
                    assertFalse(finished.contains(item), "partial after the final of " + item);
                } else if (type.equals("transcript.final")) {
                    assertTrue(finished.add(item), "two finals share " + item);
                }
            }
            assertFalse(finished.isEmpty(), s.recording().id() + " has no final");
        }
    }

    @Test
    void finalsAreTimedInsideTheAudioInIncreasingOrder() {
        for (Session s : sessions) {
            long previousEnd = 0;
            for (JsonNode fin : s.client().events("transcript.final")) {
                long start = fin.path("start_ms").asLong(-1);
                long end = fin.path("end_ms").asLong(-1);
                assertTrue(start >= previousEnd, "start " + start + " before previous end " + previousEnd);
                assertTrue(end > start, "end " + end + " not after start " + start);
                assertTrue(end <= s.audio().durationMillis(), "end " + end + " past the audio's " + s.audio().durationMillis() + " ms");
                previousEnd = end;
            }
        }
    }

    @Test
    void everyEventCarriesTheEnvelopeWithGapFreeSeq() {
        Set<String> eventIds = new HashSet<>();
        for (Session s : sessions) {
            List<JsonNode> events = s.client().events().stream().map(ListenClient.Received::json).toList();
            assertEquals("session.created", events.get(0).path("type").asText());
            assertEquals("session.closed", events.get(events.size() - 1).path("type").asText());
            String sessionId = events.get(0).path("session_id").asText();
            assertTrue(sessionId.matches("[a-z0-9_]+"), "session id safe as a file name: " + sessionId);
            for (int i = 0; i < events.size(); i++) {
                JsonNode e = events.get(i);
                for (String field : ENVELOPE) {
                    assertTrue(e.hasNonNull(field), "missing " + field + " in " + e);
                }
                assertEquals(1, e.path("v").asInt());
                assertEquals(sessionId, e.path("session_id").asText());
                assertEquals(i + 1, e.path("seq").asLong(), "seq of " + e);
                assertTrue(eventIds.add(e.path("event_id").asText()), "duplicate event id in " + e);
                Instant.parse(e.path("emitted_at").asText());
            }
            JsonNode created = events.get(0).path("session");
            assertEquals(s.recording().id(), created.path("metadata").path("call_id").asText());
            assertEquals(24000, created.path("rate").asInt());
        }
    }

    @Test
    void theRecognizerGotExactlyTheAudioEachClientSent() throws Exception {
        for (Session s : sessions) {
            JsonNode audio = s.client().events("session.closed").get(0).path("audio").path("speaker");
            assertEquals(0, audio.path("dropped_bytes").asLong(), "audio dropped: the recognizer fell behind real time");
            assertEquals(s.client().bytesSent(), audio.path("bytes").asLong());
            assertEquals(s.client().sentDigest(), audio.path("sha256").asText());
        }
    }
}
