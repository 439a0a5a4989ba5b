package dev.parley.ingest.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
import dev.parley.testing.WebhookReceiver;
import dev.parley.testing.WordErrorRate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A file sent over {@code /v1/realtime} as fast as the socket takes it (one 7 s append, then 100 ms
 * appends) is recognised whole at the pace of real time: the server holds what is ahead of real time
 * by more than the burst it allows ({@code parley.session.max-ahead-ms}), and drops none of it. It
 * reads on meanwhile: a commit right after a file is acknowledged at once, with or without turn
 * detection, naming the item the archive and the webhooks will hold. And what a client appended
 * reaches {@code audio.wav} byte for byte even when Parley ends the session before the recognizer has
 * had it all.
 */
@Timeout(120)
class FileUploadTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aFileSentFasterThanRealTimeIsPacedAndRecognisedWhole() throws Exception {
        // Two more clients upload beside this one, on the same server (the second lasts the 30 s this
        // allows): see committedUploadWithServerVad and cutUpload.
        try (WebhookReceiver hooks = new WebhookReceiver();
             ParleyServer parley = parley(3000, 30, Map.of("parley.webhooks.urls", hooks.url(),
                     "parley.webhooks.secret", WebhookReceiver.SECRET))) {
            CompletableFuture<Void> vad = CompletableFuture.runAsync(() -> committedUploadWithServerVad(parley, hooks));
            CompletableFuture<Void> cleared = CompletableFuture.runAsync(() -> clearedThenCommittedWithServerVad(parley));
            CompletableFuture<Void> cut = CompletableFuture.runAsync(() -> cutUpload(parley));
            byte[] first = LibriVox.get("0870").at(24000).pcm();
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            rest.writeBytes(LibriVox.get("0890").at(24000).pcm());
            rest.writeBytes(new byte[48000]); // a second of silence ends the last utterance
            long audioMs = (first.length + rest.size()) / 48;
            long took;
            long lastStopMs;
            try (RealtimeClient client = RealtimeClient.connect(
                    parley.wsWithoutToken("/v1/realtime?intent=transcription&meta.upload=file-1"), RealtimeProtocolTest.API_KEY)) {
                client.await("session.created", WAIT);
                long start = System.nanoTime();
                client.append(first);
                client.stream(rest.toByteArray(), 4800);
                // Parley reads it all at once; the recognizer hears it at real-time pace: wait for the second recording.
                client.await(e -> e.path("type").asText().equals("input_audio_buffer.speech_stopped")
                        && e.path("audio_end_ms").asLong() > first.length / 48 + 2000, WAIT);
                List<JsonNode> finals = RealtimeProtocolTest.awaitQuiet(client, WAIT);
                took = (System.nanoTime() - start) / 1_000_000;
                lastStopMs = client.events("input_audio_buffer.speech_stopped").stream()
                        .mapToLong(e -> e.path("audio_end_ms").asLong()).max().orElseThrow();
                assertTrue(client.events("error").isEmpty(), "errors: " + client.events("error"));
                assertFalse(finals.isEmpty());
            }
            JsonNode audio = closedAudio(parley.archive(), "file-1");
            System.out.printf("/v1/realtime file of %d ms sent at once: its speech (to %d ms) transcribed in %d ms; %d bytes"
                    + " recognised, %d dropped%n", audioMs, lastStopMs, took, audio.path("bytes").asLong(), audio.path("dropped_bytes").asLong());
            assertEquals(0, audio.path("dropped_bytes").asLong(), "nothing of the file is dropped");
            // Every byte of speech is recognised. The protocol has no end of input: the client closes once
            // its last item is transcribed, when the server may still be taking the trailing silence.
            assertEquals(first.length + rest.size(), audio.path("bytes").asLong(), "every byte recognised");
            assertTrue(took >= lastStopMs - 2000 - 500, "paced to real time plus the burst: the speech ending at " + lastStopMs
                    + " ms transcribed after " + took + " ms");
            cut.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            vad.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            cleared.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /**
     * With server VAD, 7.1 s appended at once, cleared, 5.3 s more appended, committed: {@code committed}
     * comes at once, and its item starts where the client cleared, not where the recognizer was when
     * the commit came: none of the words withdrawn are in it.
     */
    private static void clearedThenCommittedWithServerVad(ParleyServer parley) {
        try {
            byte[] withdrawn = LibriVox.get("0870").at(24000).pcm();
            LibriVox.Recording keptRecording = LibriVox.get("0890");
            byte[] kept = keptRecording.at(24000).pcm();
            String item;
            try (RealtimeClient client = RealtimeClient.connect(
                    parley.wsWithoutToken("/v1/realtime?intent=transcription&meta.upload=vad-clear-1"), RealtimeProtocolTest.API_KEY)) {
                client.await("session.created", WAIT);
                client.append(withdrawn);
                client.send("{\"type\":\"input_audio_buffer.clear\"}");
                Acknowledged commit = appendAndCommit(client, kept);
                long committedMs = commit.millis();
                item = commit.committed().path("item_id").asText();
                String transcript = client.await(e -> e.path("type").asText().endsWith("transcription.completed")
                        && item.equals(e.path("item_id").asText()), WAIT).path("transcript").asText();
                double wer = WordErrorRate.of(keptRecording.transcript(), transcript);
                System.out.printf("/v1/realtime, server VAD, %d ms appended, cleared, %d ms appended, committed: committed after"
                        + " %d ms, \"%s\" (WER %.2f against what was kept)%n", withdrawn.length / 48, kept.length / 48, committedMs,
                        transcript, wer);
                assertTrue(wer < 0.8, "only the audio kept: \"" + transcript + "\", WER " + wer);
                assertTrue(committedMs < ((withdrawn.length + kept.length) / 48 - 2000) / 2, "committed at once: " + committedMs + " ms");
                assertTrue(client.events("error").isEmpty(), "errors: " + client.events("error"));
            }
            JsonNode fin = Files.readAllLines(archiveOf(parley.archive(), "vad-clear-1").resolve("transcript.jsonl")).stream()
                    .map(FileUploadTest::json).filter(e -> e.path("type").asText().equals("transcript.final")
                            && item.equals(e.path("item_id").asText())).findFirst().orElseThrow();
            assertTrue(fin.path("start_ms").asLong() >= withdrawn.length / 48 - 100, "the item starts at the clear: " + fin);
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    /**
     * With server VAD, 12.4 s of LibriVox (two recordings) appended at once and committed: {@code committed}
     * comes at once, long before the recognizer, held to the pace of real time, could have heard the
     * audio, and names the item the file becomes: the recognizer's utterances up to the commit are that
     * one item. Its deltas, joined, are its {@code completed} transcript, which is the one final the
     * archive and the webhooks hold for the session, under the same item id.
     */
    private static void committedUploadWithServerVad(ParleyServer parley, WebhookReceiver hooks) {
        try {
            byte[] file = concat(LibriVox.get("0870").at(24000).pcm(), LibriVox.get("0890").at(24000).pcm());
            String item;
            String transcript;
            try (RealtimeClient client = RealtimeClient.connect(
                    parley.wsWithoutToken("/v1/realtime?intent=transcription&meta.upload=vad-1"), RealtimeProtocolTest.API_KEY)) {
                client.await("session.created", WAIT);
                Acknowledged commit = appendAndCommit(client, file);
                long committedMs = commit.millis();
                item = commit.committed().path("item_id").asText();
                JsonNode completed = client.await(e -> e.path("type").asText().endsWith("transcription.completed")
                        && item.equals(e.path("item_id").asText()), WAIT);
                long completedMs = commit.millis();
                transcript = completed.path("transcript").asText();
                List<String> ofItem = client.events().stream().filter(e -> item.equals(e.path("item_id").asText()))
                        .map(e -> e.path("type").asText()).toList();
                System.out.printf("/v1/realtime, server VAD, %d ms appended at once then committed: committed after %d ms,"
                        + " completed after %d ms; the item's events: %s (\"%s\")%n", file.length / 48, committedMs,
                        completedMs, ofItem, transcript);
                // The recognizer, held to real time plus a 2 s burst, cannot have heard it all before 10.4 s.
                assertTrue(committedMs < (file.length / 48 - 2000) / 2, "committed at once, not once the recognizer has"
                        + " the audio: " + committedMs + " ms");
                // Before it, at most the start of speech: the recognizer may have been in the file's first utterance
                // when the commit came, and that utterance, with its id, is then the item's beginning.
                List<String> first = ofItem.subList(0, ofItem.indexOf("input_audio_buffer.committed"));
                assertTrue(first.isEmpty() || first.equals(List.of("input_audio_buffer.speech_started")),
                        "committed comes first: " + ofItem);
                assertEquals(1, client.events("input_audio_buffer.committed").size(), "the file is one item: " + ofItem);
                assertFalse(ofItem.contains("input_audio_buffer.speech_stopped"), "the commit ended it: " + ofItem);
                String deltas = client.events().stream().filter(e -> item.equals(e.path("item_id").asText())
                        && e.path("type").asText().endsWith("transcription.delta")).map(e -> e.path("delta").asText())
                        .reduce("", String::concat);
                assertEquals(transcript, deltas, "joined, the deltas are the transcript");
                assertTrue(transcript.split(" ").length > 15, "both recordings: " + transcript);
                assertTrue(client.events("error").isEmpty(), "errors: " + client.events("error"));
            }
            Map<String, String> archived = finals(Files.readAllLines(archiveOf(parley.archive(), "vad-1")
                    .resolve("transcript.jsonl")).stream().map(FileUploadTest::json));
            assertEquals(Map.of(item, transcript), archived, "the archive's finals");
            String session = sessionOf(parley.archive(), "vad-1");
            long deadline = System.nanoTime() + WAIT.toNanos();
            Map<String, String> delivered = Map.of();
            while (!delivered.equals(archived) && System.nanoTime() < deadline) {
                Thread.sleep(50);
                delivered = finals(hooks.verified().stream().map(WebhookReceiver.Delivery::event)
                        .filter(e -> session.equals(e.path("session_id").asText())));
            }
            assertEquals(archived, delivered, "the webhooks' finals");
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    /** The transcript.final events among {@code events}, as item id to text. */
    private static Map<String, String> finals(Stream<JsonNode> events) {
        Map<String, String> out = new HashMap<>();
        events.filter(e -> e.path("type").asText().equals("transcript.final"))
                .forEach(e -> out.put(e.path("item_id").asText(), e.path("text").asText()));
        return out;
    }

    private static JsonNode json(String line) {
        try {
            return JSON.readTree(line);
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    /**
     * Without turn detection, 12.4 s of LibriVox appended at once and committed: {@code committed}
     * comes at once, before anything of its item and long before the recognizer, held to the pace of
     * real time, could have heard the audio; {@code completed} follows when it has. Then 24.7 s more
     * appended at once, uncommitted, and Parley ends the session at its maximum duration while the
     * recognizer is still on that audio: {@code audio.wav} holds every byte appended all the same.
     */
    private static void cutUpload(ParleyServer parley) {
        try {
            byte[] file = concat(LibriVox.get("0870").at(24000).pcm(), LibriVox.get("0890").at(24000).pcm());
            byte[] more = concat(LibriVox.get("0920").at(24000).pcm(), LibriVox.get("0930").at(24000).pcm(),
                    LibriVox.get("0880").at(24000).pcm(), LibriVox.get("0870").at(24000).pcm(), LibriVox.get("0890").at(24000).pcm());
            try (RealtimeClient client = withoutTurnDetection(parley, "cut-1")) {
                Acknowledged commit = appendAndCommit(client, file);
                long committedMs = commit.millis();
                int before = commit.before();
                String item = commit.committed().path("item_id").asText();
                List<String> afterCommit = client.events().subList(before, client.size()).stream()
                        .filter(e -> item.equals(e.path("item_id").asText())).map(e -> e.path("type").asText()).toList();
                assertEquals("input_audio_buffer.committed", afterCommit.get(0), "committed comes first: " + afterCommit);
                client.stream(more, 240_000);
                JsonNode completed = client.await(before, e -> e.path("type").asText().endsWith("transcription.completed")
                        && item.equals(e.path("item_id").asText()), WAIT);
                long completedMs = commit.millis();
                System.out.printf("/v1/realtime, no turn detection, %d ms appended at once then committed: committed after"
                        + " %d ms, completed after %d ms (\"%s\")%n", file.length / 48, committedMs, completedMs,
                        completed.path("transcript").asText());
                // The recognizer, held to real time plus a 2 s burst, cannot have heard it all before 10.4 s.
                long earliestHeard = file.length / 48 - 2000;
                assertTrue(committedMs < earliestHeard / 2, "committed at once, not once the recognizer has the audio: "
                        + committedMs + " ms");
                assertTrue(completedMs > committedMs, "completed when the recognizer has heard the audio");
                client.await(e -> "max_duration".equals(e.path("error").path("code").asText()), WAIT);
            }
            Path folder = archiveOf(parley.archive(), "cut-1");
            JsonNode audio = closedAudio(parley.archive(), "cut-1");
            long appended = file.length + more.length;
            System.out.printf("/v1/realtime session ended at its maximum duration: %d ms appended, %d ms of it recognised,"
                    + " %d ms archived%n", appended / 48, audio.path("bytes").asLong() / 48,
                    WavFile.read(folder.resolve("audio.wav")).pcm().length / 48);
            assertTrue(audio.path("bytes").asLong() < appended, "the session was ended while audio waited for the recognizer: "
                    + audio.path("bytes").asLong() + " of " + appended + " bytes recognised");
            byte[] wav = WavFile.read(folder.resolve("audio.wav")).pcm();
            assertArrayEquals(concat(file, more), wav, "audio.wav holds every byte appended");
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    /**
     * With audio redaction on, audio no final has judged never reaches {@code audio.wav} as it was: a
     * file appended at once, and the session ended at its maximum duration while the recognizer is
     * still on it, leaves the audio it had not recognised as silence, at its place in the file; and
     * audio a client appended without turn detection and never committed, when it closes, is silence too.
     */
    @Test
    void withAudioRedactionOnAudioLeftUnrecognisedWhenParleyEndsTheSessionIsArchivedAsSilence() throws Exception {
        try (ParleyServer parley = ParleyServer.start(Map.of("parley.auth.api-keys", RealtimeProtocolTest.API_KEY,
                "parley.translation.targets", "", "parley.redaction.enabled", "true", "parley.session.max-duration-s", "6"))) {
            byte[] file = concat(LibriVox.get("0870").at(24000).pcm(), LibriVox.get("0890").at(24000).pcm(),
                    LibriVox.get("0920").at(24000).pcm());
            try (RealtimeClient client = withoutTurnDetection(parley, "redacted-cut")) {
                client.stream(file, 240_000);
                client.await(e -> "max_duration".equals(e.path("error").path("code").asText()), WAIT);
            }
            byte[] wav = WavFile.read(archiveOf(parley.archive(), "redacted-cut").resolve("audio.wav")).pcm();
            int silentFrom = wav.length;
            while (silentFrom > 0 && wav[silentFrom - 1] == 0) {
                silentFrom--;
            }
            System.out.printf("/v1/realtime with audio redaction, ended at 6 s: %d ms appended, the last %d ms of audio.wav"
                    + " silence%n", file.length / 48, (wav.length - silentFrom) / 48);
            assertEquals(file.length, wav.length, "audio.wav keeps the call's length");
            // Held to real time plus a 2 s burst, the recognizer cannot have reached the last 5 s in 6 s.
            assertTrue(wav.length - silentFrom >= 48_000 * 5, "unrecognised audio is silence in audio.wav: only the last "
                    + (wav.length - silentFrom) / 48 + " ms are");

            // Nor does audio a client appends and never commits, when the client itself closes.
            byte[] uncommitted = LibriVox.get("0880").at(24000).pcm();
            try (RealtimeClient client = withoutTurnDetection(parley, "redacted-closed")) {
                client.append(uncommitted);
                Thread.sleep(uncommitted.length / 48 + 500); // the recognizer has heard it
            }
            byte[] closedWav = WavFile.read(archiveOf(parley.archive(), "redacted-closed").resolve("audio.wav")).pcm();
            assertEquals(uncommitted.length, closedWav.length, "audio.wav keeps the call's length");
            assertTrue(java.util.stream.IntStream.range(0, closedWav.length).allMatch(i -> closedWav[i] == 0),
                    "audio never committed is silence in audio.wav");
        }
    }

    /** A commit answered: its {@code committed}, the client's event count when it was sent, and when. */
    private record Acknowledged(JsonNode committed, int before, long sentNanos) {
        /** Milliseconds since the commit was sent. */
        long millis() {
            return (System.nanoTime() - sentNanos) / 1_000_000;
        }
    }

    /** Appends {@code audio} in one event, commits, and waits for {@code committed}. */
    private static Acknowledged appendAndCommit(RealtimeClient client, byte[] audio) throws Exception {
        client.append(audio);
        int before = client.size();
        long sent = System.nanoTime();
        client.send("{\"type\":\"input_audio_buffer.commit\"}");
        JsonNode committed = client.await(before, e -> e.path("type").asText().equals("input_audio_buffer.committed"), WAIT);
        return new Acknowledged(committed, before, sent);
    }

    /** A session of an API-key client without turn detection (it commits), with {@code meta.upload} = {@code upload}. */
    private static RealtimeClient withoutTurnDetection(ParleyServer parley, String upload) throws Exception {
        RealtimeClient client = RealtimeClient.connect(
                parley.wsWithoutToken("/v1/realtime?intent=transcription&meta.upload=" + upload), RealtimeProtocolTest.API_KEY);
        client.await("session.created", WAIT);
        client.send("{\"type\":\"session.update\",\"session\":{\"type\":\"transcription\","
                + "\"audio\":{\"input\":{\"turn_detection\":null}}}}");
        client.await("session.updated", WAIT);
        return client;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /**
     * A client at the pace of speech is not held back when the recognizer cannot follow it (here: a
     * queue of 100 ms, and half-second appends): its audio is dropped and it is told so with the
     * service's {@code error} shape, code {@code overloaded}, as {@code /v1/listen} tells its clients;
     * its commit is still answered at once.
     */
    @Test
    void aClientAtThePaceOfSpeechThatTheRecognizerCannotFollowIsToldItIsOverloaded() throws Exception {
        try (ParleyServer parley = parley(100, 14_400, Map.of())) {
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

    /**
     * A Parley with the default burst bound (2 s ahead of real time), a queue of {@code maxQueuedMs},
     * sessions of at most {@code maxDurationS}, and {@code more} settings.
     */
    private static ParleyServer parley(int maxQueuedMs, int maxDurationS, Map<String, String> more) throws Exception {
        Map<String, String> settings = new HashMap<>(Map.of("parley.auth.api-keys", RealtimeProtocolTest.API_KEY,
                "parley.translation.targets", "", "parley.session.max-ahead-ms", "2000",
                "parley.session.max-queued-audio-ms", Integer.toString(maxQueuedMs),
                "parley.session.max-duration-s", Integer.toString(maxDurationS)));
        settings.putAll(more);
        return ParleyServer.start(settings);
    }

    /** The id of the session with meta.upload = {@code upload}, from its archive. */
    private static String sessionOf(Path root, String upload) throws Exception {
        return json(Files.readAllLines(archiveOf(root, upload).resolve("transcript.jsonl")).get(0)).path("session_id").asText();
    }

    /** The per-channel totals of session.closed in the archive of the session with meta.upload = {@code upload}. */
    private static JsonNode closedAudio(Path root, String upload) throws Exception {
        for (String line : Files.readAllLines(archiveOf(root, upload).resolve("transcript.jsonl"))) {
            JsonNode event = JSON.readTree(line);
            if (event.path("type").asText().equals("session.closed")) {
                return event.path("audio").path("speaker");
            }
        }
        throw new AssertionError("no session.closed in the archive with meta.upload=" + upload);
    }

    /** The archive folder of the session with meta.upload = {@code upload}, once it has ended. */
    private static Path archiveOf(Path root, String upload) throws Exception {
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
                        return call.getParent();
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no closed archive with meta.upload=" + upload);
    }
}
