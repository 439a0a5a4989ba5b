package dev.parley.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code parley.recognizer=none}: audio archived and accounted for, session events sent, nothing recognised. */
class ArchiveOnlyTest {

    private static ParleyServer parley;

    @BeforeAll
    static void start() throws Exception {
        parley = ParleyServer.start(Map.of("parley.recognizer", "none"));
    }

    @AfterAll
    static void stop() {
        if (parley != null) {
            parley.close();
        }
    }

    @Test
    void archivesTheAudioByteForByteAndEmitsNoTranscript() throws Exception {
        byte[] audio = LibriVox.get("0870").at(24000).pcm();
        // Default targets (es): accepted, and nothing is translated since nothing is recognised.
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?meta.case=archive-only"))) {
            client.stream(audio, 1920, 48000 * 4, true);
            client.endInput();
            JsonNode closed = client.await("session.closed", Duration.ofSeconds(30)).json();
            assertEquals(1000, client.awaitClose(Duration.ofSeconds(10)));
            JsonNode created = client.events("session.created").get(0);
            assertEquals("none", created.path("session").path("engines").path("recognizer").asText(), created.toString());
            assertEquals(List.of(), client.types().stream()
                    .filter(t -> t.startsWith("transcript.") || t.startsWith("translation.") || t.equals("tts.audio")
                            || t.equals("error")).toList(), "no results, no errors: " + client.types());
            JsonNode speaker = closed.path("audio").path("speaker");
            assertEquals(audio.length, speaker.path("bytes").asLong());
            assertEquals(client.sentDigest(), speaker.path("sha256").asText());
            assertEquals(0, speaker.path("dropped_bytes").asLong());

            Path folder = sessionFolder(closed.path("session_id").asText());
            awaitSize(folder.resolve("call.json"), 1);
            assertTrue(Files.readString(folder.resolve("call.json")).contains("\"recognizer\" : \"none\""));
            assertTrue(Files.exists(folder.resolve("audio.wav")), "audio.wav is written");
        }
    }

    @Test
    void archivesTheAudioByteForByte() throws Exception {
        byte[] audio = LibriVox.get("0870").at(24000).pcm();
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?targets="))) {
            client.stream(audio, 1920, 48000 * 4, true);
            client.endInput();
            JsonNode closed = client.await("session.closed", Duration.ofSeconds(30)).json();
            Path wav = sessionFolder(closed.path("session_id").asText()).resolve("audio.wav");
            awaitSize(wav, 44 + audio.length);
            WavFile archived = WavFile.read(wav);
            assertEquals(24000, archived.sampleRate());
            assertArrayEquals(audio, archived.pcm(), "audio.wav holds exactly the audio sent");
        }
    }

    @Test
    void fiftyConcurrentSessionsAllComplete() throws Exception {
        int sessions = 50;
        byte[] audio = new byte[48000 * 2]; // 2 s of quiet noise at 24 kHz
        Random random = new Random(7);
        for (int i = 0; i < audio.length; i += 2) {
            int s = random.nextInt(201) - 100;
            audio[i] = (byte) s;
            audio[i + 1] = (byte) (s >> 8);
        }
        ExecutorService pool = Executors.newFixedThreadPool(sessions);
        try {
            List<Future<JsonNode>> running = new ArrayList<>();
            for (int s = 0; s < sessions; s++) {
                running.add(pool.submit(() -> {
                    try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?targets="))) {
                        client.stream(audio, 1920, 48000, true);
                        client.endInput();
                        JsonNode closed = client.await("session.closed", Duration.ofSeconds(60)).json();
                        assertEquals(client.sentDigest(), closed.path("audio").path("speaker").path("sha256").asText());
                        return closed;
                    }
                }));
            }
            for (Future<JsonNode> f : running) {
                JsonNode closed = f.get(90, TimeUnit.SECONDS);
                assertEquals("input_audio.end", closed.path("reason").asText(), closed.toString());
                assertEquals(audio.length, closed.path("audio").path("speaker").path("bytes").asLong());
                assertEquals(0, closed.path("audio").path("speaker").path("dropped_bytes").asLong());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Path sessionFolder(String sessionId) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Stream<Path> all = Files.walk(parley.archive())) {
                var found = all.filter(p -> p.getFileName().toString().equals(sessionId) && Files.isDirectory(p)).findFirst();
                if (found.isPresent()) {
                    return found.get();
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no archive folder for " + sessionId + " under " + parley.archive());
            }
            Thread.sleep(50);
        }
    }

    private static void awaitSize(Path file, long size) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((!Files.exists(file) || Files.size(file) < size) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(file), file + " exists");
        if (size > 1) {
            assertEquals(size, Files.size(file), file + " size");
        }
    }
}
