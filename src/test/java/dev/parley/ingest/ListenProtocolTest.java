package dev.parley.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.audio.G711;
import dev.parley.audio.Pcm16;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
import dev.parley.testing.WordErrorRate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input on /v1/listen gets a clear answer (a close code with a reason, or an error event) and
 * never disturbs the session of someone else speaking at the same time.
 */
class ListenProtocolTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static ParleyServer parley;
    private static CompletableFuture<ListenClient> bystander;
    private static LibriVox.Recording bystanderRecording;

    @BeforeAll
    static void startWithSomeoneSpeaking() throws Exception {
        // Tests below send audio faster than real time; a generous queue keeps it all.
        parley = ParleyServer.start(Map.of("parley.session.max-queued-audio-ms", "60000"));
        bystanderRecording = LibriVox.recordings().get(0);
        WavFile audio = bystanderRecording.at(16000);
        bystander = CompletableFuture.supplyAsync(() -> {
            try {
                ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=16000"));
                client.stream(audio.pcm(), 640, 32000, true);
                client.endInput();
                client.await("session.closed", WAIT);
                return client;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @AfterAll
    static void bystanderWasNotDisturbed() throws Exception {
        try {
            ListenClient client = bystander.get();
            String heard = String.join(" ", client.events("transcript.final").stream().map(e -> e.path("text").asText()).toList());
            double wer = WordErrorRate.of(bystanderRecording.transcript(), heard);
            assertTrue(wer <= 0.5, "the bystander's transcript suffered: WER " + wer + ", heard '" + heard + "'");
            assertTrue(client.events("error").isEmpty(), "the bystander got errors: " + client.events("error"));
            assertEquals(1000, client.awaitClose(WAIT));
        } finally {
            parley.close();
        }
    }

    @ParameterizedTest(name = "{0} is refused")
    @CsvSource({
            "source=de,                 source 'de' is not supported",
            "rate=44100,                rate '44100' is not supported",
            "rate=fast,                 rate 'fast' is not supported",
            "encoding=opus,             encoding 'opus' is not supported",
            "volume=11,                 unknown parameter 'volume'",
            "source=en&source=es,       'source' is given more than once",
            "meta.Bad Key=1,            metadata keys are"})
    void invalidQueryIsRefusedWithPolicyViolation(String query, String reason) throws Exception {
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?" + query.replace(" ", "%20")))) {
            assertEquals(1008, client.awaitClose(WAIT));
            assertTrue(client.closeReason().contains(reason), client.closeReason());
            assertTrue(client.events().isEmpty(), "no session for a refused connection");
        }
    }

    @Test
    void frameOfMoreThanOneSecondClosesWithMessageTooBig() throws Exception {
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=16000"))) {
            client.await("session.created", WAIT);
            client.sendAudio(new byte[32_002]);
            assertEquals(1009, client.awaitClose(WAIT));
            assertTrue(client.closeReason().contains("over 1 s"), client.closeReason());
        }
    }

    @Test
    void frameOverTheWebSocketFrameLimitClosesWithMessageTooBig() throws Exception {
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen"))) {
            client.await("session.created", WAIT);
            client.sendAudio(new byte[100_000]);
            assertEquals(1009, client.awaitClose(WAIT));
        }
    }

    @Test
    void malformedOrUnknownMessagesGetAnErrorAndTheSessionGoesOn() throws Exception {
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=16000"))) {
            client.await("session.created", WAIT);
            client.sendText("{not json");
            client.sendText("{\"type\":\"input_audio.commit\"}");
            client.sendText("[1,2]");
            client.sendAudio(new byte[641]);
            client.stream(LibriVox.recordings().get(1).at(16000).pcm(), 3200, 32000, false);
            client.endInput();
            client.await("session.closed", WAIT);

            assertEquals(List.of("invalid_json", "unknown_type", "unknown_type", "invalid_audio"),
                    client.events("error").stream().map(e -> e.path("code").asText()).toList());
            assertTrue(client.events("error").get(1).path("message").asText().contains("input_audio.commit"));
            assertFalse(client.events("transcript.final").isEmpty(), "the session went on to transcribe");
            assertEquals(1000, client.awaitClose(WAIT));
        }
    }

    @Test
    void silentInputGetsAWarningSayingWhatToCheck() throws Exception {
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=8000&encoding=pcm16"))) {
            client.stream(new byte[8000 * 2 * 6], 1600, 16000, false);
            JsonNode warning = client.await("warning", WAIT).json();
            assertEquals("input_silent", warning.path("code").asText());
            assertTrue(warning.path("message").asText().contains("sampling rate"), warning.toString());
            client.endInput();
            client.await("session.closed", WAIT);
            assertEquals(1, client.events("warning").size(), "warned once, not for every block");
        }
    }

    @Test
    void clippedInputGetsAWarning() throws Exception {
        ByteBuffer square = ByteBuffer.allocate(8000 * 2 * 6).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; square.hasRemaining(); i++) {
            square.putShort((i / 20) % 2 == 0 ? Short.MAX_VALUE : Short.MIN_VALUE);
        }
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=8000"))) {
            client.stream(square.array(), 1600, 16000, false);
            JsonNode warning = client.await("warning", WAIT).json();
            assertEquals("input_clipped", warning.path("code").asText());
            client.endInput();
            client.await("session.closed", WAIT);
        }
    }

    @Test
    void muLawAudioAt8kHzIsTranscribedAsWellAsTheSamePcm() throws Exception {
        LibriVox.Recording recording = LibriVox.get("0870");
        byte[] pcm8k = recording.at(8000).pcm();
        short[] pcm = Pcm16.littleEndianToShorts(pcm8k, 0, pcm8k.length);
        double muLaw = werOf(recording, "rate=8000&encoding=mulaw", G711.encode(pcm, 0, pcm.length), 320);
        double linear = werOf(recording, "rate=8000", pcm8k, 640);
        System.out.printf("8 kHz %s: WER mu-law %.3f, pcm16 %.3f%n", recording.id(), muLaw, linear);
        assertTrue(muLaw <= 0.6, "WER " + muLaw + " for mu-law 8 kHz");
        assertTrue(muLaw <= linear + 0.1, "mu-law " + muLaw + " much worse than the same audio as PCM " + linear);
    }

    private double werOf(LibriVox.Recording recording, String query, byte[] audio, int frameBytes) throws Exception {
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?" + query))) {
            client.stream(audio, frameBytes, 16000, false);
            client.endInput();
            client.await("session.closed", WAIT);
            String heard = String.join(" ", client.events("transcript.final").stream().map(e -> e.path("text").asText()).toList());
            return WordErrorRate.of(recording.transcript(), heard);
        }
    }

    @Test
    void httpRequestWithoutUpgradeIsToldToUseAWebSocket() throws Exception {
        var response = parley.get("/v1/listen");
        assertEquals(426, response.statusCode());
        assertTrue(response.body().contains("WebSocket"));
    }

    @Test
    void healthReportsTheRecognizerPool() throws Exception {
        var response = parley.get("/observe/health/ready");
        assertEquals(200, response.statusCode());
        assertTrue(response.body().contains("\"name\":\"recognizer\""), response.body());
        assertTrue(response.body().contains("\"engine\":\"pocketsphinx\""), response.body());
    }
}
