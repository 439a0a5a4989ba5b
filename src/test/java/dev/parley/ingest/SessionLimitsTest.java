package dev.parley.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Limits answer at once with a clear error, and never let a session grow without bound. */
class SessionLimitsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static ParleyServer parley;

    @BeforeAll
    static void start() throws Exception {
        parley = ParleyServer.start(Map.of(
                "parley.recognizer.pocketsphinx.pool-size", "2",
                "parley.recognizer.pocketsphinx.warm-decoders", "2",
                "parley.session.max-queued-audio-ms", "300"));
    }

    @AfterAll
    static void stop() {
        parley.close();
    }

    @Test
    void noFreeDecoderMeansACapacityErrorAtOnceAndTheOthersCarryOn() throws Exception {
        try (ListenClient first = ListenClient.connect(parley.ws("/v1/listen?rate=16000"));
             ListenClient second = ListenClient.connect(parley.ws("/v1/listen?rate=16000"))) {
            first.await("session.created", WAIT);
            second.await("session.created", WAIT);

            long asked = System.nanoTime();
            try (ListenClient third = ListenClient.connect(parley.ws("/v1/listen?rate=16000"))) {
                JsonNode error = third.await("error", WAIT).json();
                assertTrue(System.nanoTime() - asked < Duration.ofSeconds(5).toNanos(), "refused at once, not after a wait");
                assertEquals("capacity", error.path("code").asText());
                assertTrue(error.path("message").asText().contains("pool-size"), error.toString());
                assertEquals(1013, third.awaitClose(WAIT));
                assertFalse(third.types().contains("session.created"));
            }

            byte[] speech = LibriVox.recordings().get(1).at(16000).pcm();
            first.stream(speech, 3200, 32000, true);
            first.endInput();
            first.await("session.closed", WAIT);
            assertFalse(first.events("transcript.final").isEmpty(), "the first session still transcribes");
            second.endInput();
            second.await("session.closed", WAIT);
        }
    }

    @Test
    void aSessionThatFallsBehindDropsAudioAndSaysHowMuch() throws Exception {
        byte[] speech = LibriVox.recordings().get(0).at(16000).pcm();
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=16000"))) {
            client.await("session.created", WAIT);
            for (int i = 0; i < 3; i++) {
                client.stream(speech, 32000, 32000, false);
            }
            JsonNode error = client.await("error", WAIT).json();
            assertEquals("overloaded", error.path("code").asText());
            assertTrue(error.path("message").asText().contains("dropped"), error.toString());
            client.endInput();
            JsonNode audio = client.await("session.closed", WAIT).json().path("audio").path("speaker");
            assertTrue(audio.path("dropped_bytes").asLong() > 0);
            assertEquals(client.bytesSent(), audio.path("bytes").asLong() + audio.path("dropped_bytes").asLong(),
                    "every byte sent was either recognised or counted as dropped");
        }
    }

    @Test
    void anIdleSessionIsEndedWithAnError() throws Exception {
        try (ParleyServer impatient = ParleyServer.start(Map.of("parley.session.idle-timeout-s", "1"));
             ListenClient client = ListenClient.connect(impatient.ws("/v1/listen"))) {
            client.await("session.created", WAIT);
            JsonNode error = client.await("error", WAIT).json();
            assertEquals("idle_timeout", error.path("code").asText());
            client.await("session.closed", WAIT);
            assertEquals(1000, client.awaitClose(WAIT));
        }
    }
}
