package dev.parley.endtoend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
import dev.parley.testing.WebhookReceiver;
import dev.parley.tts.WavInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Offline end to end: a LibriVox recording in, targets es and ca; every final translated as Apertium
 * translates it, spoken as eSpeak NG speaks it, archived whole, and sent once per event to a webhook
 * receiver whose signature checks pass.
 */
class TranslationFanOutTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static WebhookReceiver receiver;
    private static ParleyServer parley;
    private static ListenClient client;
    private static WavFile audio;
    private static String sessionId;

    @BeforeAll
    static void speakOneRecording() throws Exception {
        receiver = new WebhookReceiver();
        parley = ParleyServer.start(Map.of(
                "parley.webhooks.urls", receiver.url(),
                "parley.webhooks.secret", WebhookReceiver.SECRET));
        audio = LibriVox.get("0870").at(24000);
        client = ListenClient.connect(parley.ws("/v1/listen?targets=es,ca&meta.call_id=fanout-1"));
        sessionId = client.await("session.created", WAIT).json().path("session_id").asText();
        client.stream(audio.pcm(), 1920, 48000, true);
        client.endInput();
        client.await("session.closed", WAIT);
    }

    @AfterAll
    static void stop() {
        client.close();
        parley.close();
        receiver.close();
    }

    @Test
    void everyFinalIsTranslatedIntoEachTargetAsApertiumTranslatesIt() throws Exception {
        List<JsonNode> finals = client.events("transcript.final");
        assertFalse(finals.isEmpty());
        for (JsonNode fin : finals) {
            for (String target : List.of("es", "ca")) {
                JsonNode translation = client.events("translation.final").stream()
                        .filter(t -> t.path("item_id").equals(fin.path("item_id")) && t.path("language").asText().equals(target))
                        .findFirst().orElseThrow(() -> new AssertionError("no " + target + " translation of " + fin));
                assertEquals(Apertium.translate(fin.path("text").asText(), target), translation.path("text").asText());
                assertEquals(fin.path("start_ms"), translation.path("start_ms"));
                assertEquals(fin.path("end_ms"), translation.path("end_ms"));
            }
        }
    }

    @Test
    void everyTranslationIsSpokenAsEspeakSpeaksIt() throws Exception {
        List<JsonNode> translations = client.events("translation.final");
        assertEquals(translations.size(), client.events("tts.audio").size());
        for (JsonNode translation : translations) {
            JsonNode speech = client.events("tts.audio").stream()
                    .filter(t -> t.path("item_id").equals(translation.path("item_id"))
                            && t.path("language").equals(translation.path("language")))
                    .findFirst().orElseThrow();
            assertEquals("wav", speech.path("format").asText());
            WavInfo wav = WavInfo.parse(Base64.getDecoder().decode(speech.path("audio").asText()));
            assertEquals(speech.path("sample_rate").asInt(), wav.sampleRate());
            long expected = Espeak.durationMillis(translation.path("text").asText(), translation.path("language").asText());
            assertTrue(Math.abs(wav.durationMillis() - expected) <= expected * 0.05,
                    "spoken " + wav.durationMillis() + " ms, eSpeak NG alone " + expected + " ms");
        }
    }

    @Test
    void sessionClosedComesLastAfterEveryTranslationAndSpeech() {
        List<String> types = client.types();
        assertEquals("session.closed", types.get(types.size() - 1));
        assertEquals(1, types.stream().filter("session.closed"::equals).count());
    }

    @Test
    void theArchiveHoldsTheWholeSessionAsTheClientSawIt() throws Exception {
        Path folder = parley.archive().resolve(LocalDate.now(ZoneOffset.UTC).toString().replace('-', '/')).resolve(sessionId);
        assertTrue(Files.isDirectory(folder), folder + " missing");

        List<JsonNode> archived = Files.readAllLines(folder.resolve("transcript.jsonl")).stream().map(ArchiveLine::parse).toList();
        List<JsonNode> seen = client.events().stream().map(ListenClient.Received::json)
                .filter(e -> !e.path("type").asText().equals("transcript.partial")).toList();
        assertEquals(seen.stream().map(e -> e.path("event_id").asText()).toList(),
                archived.stream().map(e -> e.path("event_id").asText()).toList());
        assertEquals(seen.stream().map(e -> e.path("item_id").asText()).toList(),
                archived.stream().map(e -> e.path("item_id").asText()).toList());
        assertTrue(archived.stream().noneMatch(e -> e.has("audio") && e.path("type").asText().equals("tts.audio")),
                "speech is archived as WAV files, not inside the transcript");

        JsonNode call = JSON.readTree(folder.resolve("call.json").toFile());
        assertEquals(sessionId, call.path("session_id").asText());
        assertEquals("fanout-1", call.path("metadata").path("call_id").asText());
        assertEquals("apertium", call.path("engines").path("translator").asText());
        assertTrue(call.hasNonNull("started_at") && call.hasNonNull("ended_at"), call.toString());

        int finals = client.events("transcript.final").size();
        for (String lang : List.of("en", "es", "ca")) {
            assertEquals(finals, Captions.vttCues(folder.resolve("captions." + lang + ".vtt")), "vtt cues for " + lang);
            assertEquals(finals, Captions.srtCues(folder.resolve("captions." + lang + ".srt")), "srt cues for " + lang);
        }

        WavInfo wav = WavInfo.parse(Files.readAllBytes(folder.resolve("audio.wav")));
        assertEquals(24000, wav.sampleRate());
        assertEquals(client.bytesSent(), wav.dataLength());

        try (Stream<Path> tts = Files.list(folder.resolve("tts"))) {
            Set<String> files = tts.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
            Set<String> expected = client.events("tts.audio").stream()
                    .map(e -> e.path("item_id").asText() + "." + e.path("language").asText() + ".wav").collect(Collectors.toSet());
            assertEquals(expected, files);
        }
    }

    @Test
    void theWebhookReceiverGetsEachEventOnceSignedAndVerified() throws Exception {
        Set<String> expected = client.events().stream().map(ListenClient.Received::json)
                .filter(e -> Set.of("session.created", "transcript.final", "translation.final", "session.closed")
                        .contains(e.path("type").asText()))
                .map(e -> e.path("event_id").asText()).collect(Collectors.toSet());
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (receiver.verified().size() < expected.size() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        Thread.sleep(500);
        List<WebhookReceiver.Delivery> got = receiver.verified();
        assertTrue(receiver.rejected().isEmpty(), "signatures rejected: " + receiver.rejected());
        assertEquals(expected.size(), got.size(), "each event once");
        Set<String> ids = new HashSet<>();
        for (WebhookReceiver.Delivery d : got) {
            assertEquals(d.event().path("event_id").asText(), d.webhookId());
            ids.add(d.webhookId());
        }
        assertEquals(expected, ids);
    }
}
