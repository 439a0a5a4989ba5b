package dev.parley.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

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

    /**
     * A session takes a decoder when its audio arrives, not when it opens: a third session opens while
     * two speak on the only two decoders, and its speech gets an error {@code capacity} and a close at
     * once, never a silent stall; the two speaking carry on.
     */
    @Test
    void noFreeDecoderWhenSpeechArrivesMeansACapacityErrorAndACloseAtOnceAndTheOthersCarryOn() throws Exception {
        byte[] speech = LibriVox.recordings().get(1).at(16000).pcm();
        ExecutorService speakers = Executors.newFixedThreadPool(2);
        try (ListenClient first = ListenClient.connect(parley.ws("/v1/listen?rate=16000"));
             ListenClient second = ListenClient.connect(parley.ws("/v1/listen?rate=16000"));
             ListenClient third = ListenClient.connect(parley.ws("/v1/listen?rate=16000"))) {
            first.await("session.created", WAIT);
            second.await("session.created", WAIT);
            third.await("session.created", WAIT); // a session that sends nothing holds no decoder
            List<Future<?>> speaking = new ArrayList<>();
            for (ListenClient c : List.of(first, second)) {
                speaking.add(speakers.submit(() -> {
                    c.stream(speech, 3200, 32000, true);
                    c.endInput();
                    return null;
                }));
            }
            first.await("transcript.partial", WAIT);
            second.await("transcript.partial", WAIT);

            long asked = System.nanoTime();
            try {
                third.stream(speech, 3200, 32000, true);
            } catch (Exception closedMeanwhile) {
                // refused while it spoke
            }
            ListenClient.Received refused = third.await("error", WAIT);
            JsonNode error = refused.json();
            long refusedMs = (refused.atNanos() - asked) / 1_000_000;
            System.out.printf("speech with no decoder free: error %s %d ms after it began%n", error.path("code").asText(), refusedMs);
            assertTrue(refusedMs < 5000, "refused at once, not after a wait: " + refusedMs + " ms");
            assertEquals("capacity", error.path("code").asText());
            assertTrue(error.path("message").asText().contains("pool-size"), error.toString());
            assertEquals(1013, third.awaitClose(WAIT));
            assertEquals("capacity", third.events("session.closed").get(0).path("reason").asText());

            for (Future<?> f : speaking) {
                f.get();
            }
            first.await("session.closed", WAIT);
            second.await("session.closed", WAIT);
            assertFalse(first.events("transcript.final").isEmpty(), "the first session still transcribes");
            assertFalse(second.events("transcript.final").isEmpty(), "the second session still transcribes");
        } finally {
            speakers.shutdown();
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
