package dev.parley.realtime.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
import dev.parley.testing.WordErrorRate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parley's {@code openai} recognizer against Parley's own {@code /v1/realtime?intent=transcription},
 * end to end: a "front" Parley whose recognizer is {@code openai}, pointed at a "back" Parley that
 * serves the protocol with PocketSphinx. Five LibriVox speakers talk to the front's {@code /v1/listen}
 * at once; their finals come back through both.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class OpenAiRecognizerEndToEndTest {

    private static final String KEY = "parley-back-api-key-0123456789";
    private static final Map<String, String> QUIET = Map.of("parley.translation.enabled", "false",
            "parley.translator.apertium.warm-pairs", "", "parley.webhooks.enabled", "false");

    private static ParleyServer back;
    private static ParleyServer front;
    private static final List<Session> sessions = new ArrayList<>();

    record Session(LibriVox.Recording recording, WavFile audio, ListenClient client) {
    }

    @BeforeAll
    static void twoParleys() throws Exception {
        Map<String, String> backSettings = new java.util.HashMap<>(QUIET);
        backSettings.put("parley.auth.required", "true");
        backSettings.put("parley.auth.api-keys", KEY);
        backSettings.put("parley.recognizer.pocketsphinx.warm-decoders", "5");
        back = ParleyServer.start(backSettings);
        Map<String, String> frontSettings = new java.util.HashMap<>(QUIET);
        frontSettings.put("parley.recognizer", "openai");
        frontSettings.put("parley.recognizer.openai.base-url", "ws://127.0.0.1:" + back.port() + "/v1");
        frontSettings.put("parley.recognizer.openai.api-key", KEY);
        front = ParleyServer.start(frontSettings);

        List<LibriVox.Recording> recordings = LibriVox.recordings();
        ExecutorService speakers = Executors.newFixedThreadPool(recordings.size());
        List<Future<Session>> running = new ArrayList<>();
        for (LibriVox.Recording recording : recordings) {
            WavFile audio = recording.at(24000);
            running.add(speakers.submit(() -> {
                ListenClient client = ListenClient.connect(front.ws("/v1/listen?source=en&rate=24000&targets="));
                client.stream(audio.pcm(), 24000 * 2 / 25, 24000 * 2 * 3, true); // three times real time
                client.endInput();
                client.await("session.closed", Duration.ofSeconds(60));
                return new Session(recording, audio, client);
            }));
        }
        for (Future<Session> f : running) {
            sessions.add(f.get(80, TimeUnit.SECONDS));
        }
        speakers.shutdown();
    }

    @AfterAll
    static void stop() {
        sessions.forEach(s -> s.client().close());
        if (front != null) {
            front.close();
        }
        if (back != null) {
            back.close();
        }
    }

    @Test
    void finalsThroughTheOpenAiProtocolMatchWhatWasSaid() {
        List<String> said = new ArrayList<>();
        List<String> heard = new ArrayList<>();
        for (Session s : sessions) {
            said.add(s.recording().transcript());
            heard.add(s.client().events("transcript.final").stream().map(e -> e.path("text").asText())
                    .collect(Collectors.joining(" ")));
            System.out.printf("%s%n  said:  %s%n  heard: %s%n", s.recording().id(), said.get(said.size() - 1),
                    heard.get(heard.size() - 1));
            assertTrue(s.client().events("error").isEmpty(), "errors: " + s.client().events("error"));
            assertEquals("openai", s.client().events("session.created").get(0).path("session").path("engines")
                    .path("recognizer").asText());
        }
        double wer = WordErrorRate.corpus(said, heard);
        System.out.printf("Corpus WER of finals, openai recognizer -> Parley /v1/realtime (5 sessions at 3x real time): %.3f%n", wer);
        assertTrue(wer <= 0.40, "corpus WER " + wer + " above 0.40");
    }

    @Test
    void itemIdsAndOffsetsAreStableAndIncreasing() {
        for (Session s : sessions) {
            List<String> finalsSeen = new ArrayList<>();
            long previousEnd = 0;
            int previousItem = 0;
            for (ListenClient.Received r : s.client().events()) {
                JsonNode e = r.json();
                String type = e.path("type").asText();
                if (type.equals("transcript.partial")) {
                    assertTrue(!finalsSeen.contains(e.path("item_id").asText()), "partial after its final: " + e);
                } else if (type.equals("transcript.final")) {
                    String item = e.path("item_id").asText();
                    int number = Integer.parseInt(item.substring("item_".length()));
                    assertTrue(number > previousItem, "item ids increase: " + item + " after item_" + previousItem);
                    previousItem = number;
                    finalsSeen.add(item);
                    long start = e.path("start_ms").asLong();
                    long end = e.path("end_ms").asLong();
                    assertTrue(start >= previousEnd && end > start, "offsets increase: " + e);
                    assertTrue(end <= s.audio().durationMillis() + 50, "inside the audio: " + e);
                    previousEnd = end;
                }
            }
            assertTrue(!finalsSeen.isEmpty(), s.recording().id() + " has no final");
            JsonNode audio = s.client().events("session.closed").get(0).path("audio").path("speaker");
            assertEquals(s.client().bytesSent(), audio.path("bytes").asLong());
        }
    }
}
