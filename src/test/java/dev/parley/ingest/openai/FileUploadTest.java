package dev.parley.ingest.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ParleyServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A file sent over {@code /v1/realtime} as fast as the socket takes it (one 7 s append, then 100 ms
 * appends) is recognised whole at the pace of real time: the server holds what is ahead of real time
 * by more than the burst it allows ({@code parley.session.max-ahead-ms}), and drops none of it.
 */
@Timeout(120)
class FileUploadTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aFileSentFasterThanRealTimeIsPacedAndRecognisedWhole() throws Exception {
        try (ParleyServer parley = parley(3000)) {
            byte[] first = LibriVox.get("0870").at(24000).pcm();
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            rest.writeBytes(LibriVox.get("0890").at(24000).pcm());
            rest.writeBytes(new byte[48000]); // a second of silence ends the last utterance
            long audioMs = (first.length + rest.size()) / 48;
            long took;
            try (RealtimeClient client = RealtimeClient.connect(
                    parley.wsWithoutToken("/v1/realtime?intent=transcription&meta.upload=file-1"), RealtimeProtocolTest.API_KEY)) {
                client.await("session.created", WAIT);
                long start = System.nanoTime();
                client.append(first);
                client.stream(rest.toByteArray(), 4800);
                List<JsonNode> finals = RealtimeProtocolTest.awaitQuiet(client, WAIT);
                took = (System.nanoTime() - start) / 1_000_000;
                assertTrue(client.events("error").isEmpty(), "errors: " + client.events("error"));
                assertFalse(finals.isEmpty());
            }
            JsonNode audio = closedAudio(parley.archive(), "file-1");
            System.out.printf("/v1/realtime file of %d ms sent at once: recognised in %d ms; %d bytes recognised,"
                    + " %d dropped%n", audioMs, took, audio.path("bytes").asLong(), audio.path("dropped_bytes").asLong());
            assertEquals(0, audio.path("dropped_bytes").asLong(), "nothing of the file is dropped");
            // Every byte of speech is recognised. The protocol has no end of input: the client closes once
            // its last item is transcribed, when the server may still be taking the trailing silence.
            long speech = first.length + rest.size() - 48000;
            assertTrue(audio.path("bytes").asLong() >= speech, "every byte of speech recognised: "
                    + audio.path("bytes").asLong() + " of " + speech);
            assertTrue(took >= audioMs - 2000 - 500, "paced to real time plus the burst: " + took + " ms for " + audioMs + " ms");
        }
    }

    /**
     * A client at the pace of speech is not held back when the recognizer cannot follow it (here: a
     * queue of 100 ms, and half-second appends): its audio is dropped and it is told so with the
     * service's {@code error} shape, code {@code overloaded}, as {@code /v1/listen} tells its clients;
     * its commit is still answered at once.
     */
    @Test
    void aClientAtThePaceOfSpeechThatTheRecognizerCannotFollowIsToldItIsOverloaded() throws Exception {
        try (ParleyServer parley = parley(100)) {
            byte[] speech = LibriVox.get("0880").at(24000).pcm();
            try (RealtimeClient client = RealtimeClient.connect(parley.wsWithoutToken("/v1/realtime?intent=transcription"),
                    RealtimeProtocolTest.API_KEY)) {
                client.await("session.created", WAIT);
                for (int off = 0; off < speech.length; off += 24000) {
                    client.append(java.util.Arrays.copyOfRange(speech, off, Math.min(speech.length, off + 24000)));
                    Thread.sleep(500);
                }
                JsonNode error = client.await("error", WAIT).path("error");
                assertEquals("overloaded", error.path("code").asText(), error.toString());
                assertEquals("server_error", error.path("type").asText());
                assertTrue(error.has("message") && error.has("param") && error.has("event_id"), error.toString());
                int before = client.size();
                long sent = System.nanoTime();
                client.send("{\"type\":\"input_audio_buffer.commit\",\"event_id\":\"late\"}");
                client.await(before, e -> e.path("type").asText().equals("input_audio_buffer.committed")
                        || "late".equals(e.path("error").path("event_id").asText()), WAIT);
                long ms = (System.nanoTime() - sent) / 1_000_000;
                assertTrue(ms < 2000, "the commit is answered at once: " + ms + " ms");
            }
        }
    }

    /** A Parley with the default burst bound (2 s ahead of real time) and a queue of {@code maxQueuedMs}. */
    private static ParleyServer parley(int maxQueuedMs) throws Exception {
        return ParleyServer.start(Map.of("parley.auth.api-keys", RealtimeProtocolTest.API_KEY, "parley.translation.targets", "",
                "parley.session.max-ahead-ms", "2000", "parley.session.max-queued-audio-ms", Integer.toString(maxQueuedMs)));
    }

    /** The per-channel totals of session.closed in the archive of the session with meta.upload = {@code upload}. */
    private static JsonNode closedAudio(Path root, String upload) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path call : files.filter(f -> f.getFileName().toString().equals("call.json")).toList()) {
                    JsonNode json;
                    try {
                        json = JSON.readTree(call.toFile());
                    } catch (Exception partlyWritten) {
                        continue;
                    }
                    if (upload.equals(json.path("metadata").path("upload").asText()) && json.has("ended_at")) {
                        for (String line : Files.readAllLines(call.resolveSibling("transcript.jsonl"))) {
                            JsonNode event = JSON.readTree(line);
                            if (event.path("type").asText().equals("session.closed")) {
                                return event.path("audio").path("speaker");
                            }
                        }
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no closed archive with meta.upload=" + upload);
    }
}
