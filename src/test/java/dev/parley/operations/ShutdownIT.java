package dev.parley.operations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.audio.G711;
import dev.parley.audio.Pcm16;
import dev.parley.testing.JsonSocket;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.PackagedParley;
import dev.parley.testing.WebhookReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM with four sessions open, on the packaged jar: Parley stops taking sessions, lets the
 * utterance in progress finish (the last sentence of a call is not lost in a deploy), sends each
 * session {@code session.closed} ({@code server_shutdown}) to the archive and the webhooks, tells each
 * client in its protocol's way to go elsewhere (close 1012 on {@code /v1/listen} and {@code /v1/realtime},
 * AudioHook {@code reconnect}), and exits within its drain time.
 */
@Timeout(300)
class ShutdownIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API_KEY = "shutdown-test-api-key-0001";
    private static final String AUDIOHOOK_KEY = "shutdown-test-audiohook-key";
    private static final int DRAIN_S = 20;

    @Test
    void sigtermDrainsOpenSessionsAndExitsWithinTheDrainTime() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            Path dir = PackagedParley.folder("shutdown");
            PackagedParley parley = PackagedParley.start(dir, Map.of(
                    "PARLEY_WEBHOOKS_URLS", receiver.url(), "PARLEY_WEBHOOKS_SECRET", WebhookReceiver.SECRET,
                    "PARLEY_AUTH_API_KEYS", API_KEY, "PARLEY_AUDIOHOOK_API_KEYS", AUDIOHOOK_KEY,
                    "PARLEY_RECOGNIZER_POCKETSPHINX_WARM_DECODERS", "4",
                    "PARLEY_SHUTDOWN_DRAIN_TIMEOUT_S", Integer.toString(DRAIN_S)));
            try {
                // 1: someone talking at SIGTERM; 2: a session with only silence; 3: an OpenAI Realtime
                // client; 4: a Genesys AudioHook call.
                byte[] speech = Speakers.audio(Speakers.recordings(0, 5));
                ListenClient talking = ListenClient.connect(parley.ws("/v1/listen?rate=24000"));
                CompletableFuture<Void> talk = CompletableFuture.runAsync(() -> quietly(() ->
                        talking.stream(speech, 1920, 48000, true)));
                ListenClient silent = ListenClient.connect(parley.ws("/v1/listen?rate=24000"));
                CompletableFuture<Void> hush = CompletableFuture.runAsync(() -> quietly(() ->
                        silent.stream(new byte[48000 * 60], 1920, 48000, true)));
                Socket realtime = Socket.connect(parley.wsWithoutToken("/v1/realtime?intent=transcription"),
                        Map.of("Authorization", "Bearer " + API_KEY));
                CompletableFuture<Void> realtimeAudio = CompletableFuture.runAsync(() -> quietly(() -> {
                    for (int off = 0; off < speech.length; off += 4800) {
                        ObjectNode append = JSON.createObjectNode().put("type", "input_audio_buffer.append");
                        append.put("audio", Base64.getEncoder().encodeToString(
                                java.util.Arrays.copyOfRange(speech, off, Math.min(speech.length, off + 4800))));
                        realtime.sendText(append.toString());
                        Thread.sleep(100);
                    }
                }));
                String hookSession = UUID.randomUUID().toString();
                Socket audiohook = Socket.connect(parley.wsWithoutToken("/audiohook"), Map.of(
                        "Audiohook-Organization-Id", "d7934305-0972-4844-938e-9060eef73d05",
                        "Audiohook-Correlation-Id", UUID.randomUUID().toString(),
                        "Audiohook-Session-Id", hookSession, "X-API-KEY", AUDIOHOOK_KEY));
                AudioHookCall call = new AudioHookCall(audiohook, hookSession);
                call.open();
                CompletableFuture<Void> callAudio = CompletableFuture.runAsync(() -> quietly(call::stream));

                call.socket.await(m -> m.path("type").asText().equals("opened"), Duration.ofSeconds(10));
                URI late = parley.ws("/v1/listen?rate=24000");
                // Well into the call, and in the middle of an utterance: a partial of one with no final yet.
                String first = talking.await("transcript.final", Duration.ofSeconds(60)).json().path("item_id").asText();
                talking.await(r -> r.type().equals("transcript.partial") && !r.json().path("item_id").asText().equals(first),
                        Duration.ofSeconds(30));
                long sentAtSigterm = talking.bytesSent();

                long t0 = System.nanoTime();
                parley.process().destroy(); // SIGTERM
                Thread.sleep(500);
                assertEquals(503, status(parley.http("/observe/health/ready")), "not ready once draining");
                ListenClient refused = ListenClient.connect(late);
                assertEquals(1012, refused.awaitClose(Duration.ofSeconds(10)), "no new session while draining");

                // AudioHook: asked to reconnect elsewhere; the platform then closes this session.
                call.socket.await(m -> m.path("type").asText().equals("reconnect"), Duration.ofSeconds(10));
                ObjectNode close = call.message("close");
                close.putObject("parameters").put("reason", "reconnect");
                call.send(close);
                call.socket.await(m -> m.path("type").asText().equals("closed"), Duration.ofSeconds(DRAIN_S));

                assertEquals(1012, talking.awaitClose(Duration.ofSeconds(DRAIN_S + 5)), "listen: close 1012");
                assertEquals(1012, silent.awaitClose(Duration.ofSeconds(5)), "listen: close 1012");
                assertEquals(1012, realtime.awaitClose(Duration.ofSeconds(5)), "realtime: close 1012");
                assertTrue(parley.process().waitFor(DRAIN_S + 10, TimeUnit.SECONDS), "Parley exits within its drain time");
                long exitedMs = (System.nanoTime() - t0) / 1_000_000;
                talk.cancel(true);
                hush.cancel(true);
                realtimeAudio.cancel(true);
                callAudio.cancel(true);

                // The utterance in progress at SIGTERM was finished: audio was taken after it, and its final came.
                JsonNode closed = talking.await("session.closed", Duration.ofSeconds(1)).json();
                assertEquals("server_shutdown", closed.path("reason").asText());
                long taken = closed.path("audio").path("speaker").path("bytes").asLong();
                assertTrue(taken > sentAtSigterm, "audio taken after SIGTERM: " + taken + " > " + sentAtSigterm);
                List<JsonNode> finals = talking.events("transcript.final");
                long lastEnd = finals.get(finals.size() - 1).path("end_ms").asLong();
                assertTrue(lastEnd * 48 >= sentAtSigterm - 48000, "the last final reaches SIGTERM's moment: ends at "
                        + lastEnd + " ms, SIGTERM at " + sentAtSigterm / 48 + " ms");
                assertEquals("server_shutdown", silent.await("session.closed", Duration.ofSeconds(1)).json().path("reason").asText());

                // Every session's end is in the archive and went to the webhooks.
                List<JsonNode> calls = callJsons(dir);
                assertEquals(4, calls.size(), calls.toString());
                for (JsonNode c : calls) {
                    assertTrue(c.hasNonNull("ended_at"), c.toString());
                    assertTrue(List.of("server_shutdown", "close").contains(c.path("end_reason").asText()), c.toString());
                }
                java.util.Set<String> hooked = receiver.verified().stream().map(WebhookReceiver.Delivery::event)
                        .filter(e -> e.path("type").asText().equals("session.closed"))
                        .map(e -> e.path("session_id").asText()).collect(java.util.stream.Collectors.toSet());
                for (JsonNode c : calls) {
                    assertTrue(hooked.contains(c.path("session_id").asText()), "a session.closed webhook for " + c);
                }
                System.out.printf("shutdown: SIGTERM with 4 sessions open (2 /v1/listen, 1 /v1/realtime, 1 AudioHook; "
                                + "drain timeout %d s): exited after %d ms; the talking session's last final ends at %d ms,"
                                + " SIGTERM came at %d ms of its audio%n", DRAIN_S, exitedMs, lastEnd, sentAtSigterm / 48);
            } finally {
                parley.close();
            }
        }
    }

    private static int status(URI uri) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static List<JsonNode> callJsons(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir.resolve("archive"))) {
            return files.filter(f -> f.getFileName().toString().equals("call.json")).map(f -> {
                try {
                    return JSON.readTree(f.toFile());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    private interface Action {
        void run() throws Exception;
    }

    /** Runs a client's sending until the server closes on it. */
    private static void quietly(Action action) {
        try {
            action.run();
        } catch (Exception closedByTheServer) {
            // expected once Parley closes the connection
        }
    }

    /** A WebSocket of JSON text messages. */
    static final class Socket extends JsonSocket {
        static Socket connect(URI uri, Map<String, String> headers) throws Exception {
            Socket s = new Socket();
            s.open(uri, headers);
            return s;
        }

        JsonNode await(Predicate<JsonNode> match, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (JsonNode m : received()) {
                    if (match.test(m)) {
                        return m;
                    }
                }
                Thread.sleep(20);
            }
            throw new AssertionError("no matching message within " + timeout + "; received " + received());
        }
    }

    /** A Genesys AudioHook client, mono (the customer), streaming a recording as the phone line carries it. */
    private static final class AudioHookCall {
        final Socket socket;
        final String id;
        long seq;
        long samples;

        AudioHookCall(Socket socket, String id) {
            this.socket = socket;
            this.id = id;
        }

        ObjectNode message(String type) {
            long serverseq = socket.received().stream().mapToLong(m -> m.path("seq").asLong()).max().orElse(0);
            return JSON.createObjectNode().put("version", "2").put("id", id).put("type", type).put("seq", ++seq)
                    .put("serverseq", serverseq).put("position", String.format(java.util.Locale.ROOT, "PT%.3fS", samples / 8000.0));
        }

        synchronized void send(ObjectNode m) throws Exception {
            socket.sendText(m.toString());
        }

        void open() throws Exception {
            ObjectNode open = message("open");
            ObjectNode p = open.putObject("parameters");
            p.put("organizationId", "d7934305-0972-4844-938e-9060eef73d05").put("conversationId", UUID.randomUUID().toString())
                    .put("language", "en-US");
            p.putObject("participant").put("id", UUID.randomUUID().toString()).put("ani", "+1-555-555-1234")
                    .put("aniName", "Jane Doe").put("dnis", "+1-800-555-6789");
            p.putArray("media").addObject().put("type", "audio").put("format", "PCMU").put("rate", 8000)
                    .putArray("channels").add("external");
            send(open);
        }

        /** The recordings as 8 kHz mu-law in 200 ms frames at real-time pace. */
        void stream() throws Exception {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (LibriVox.Recording r : LibriVox.recordings()) {
                byte[] pcm = r.at(8000).pcm();
                short[] s = Pcm16.littleEndianToShorts(pcm, 0, pcm.length);
                out.writeBytes(G711.encode(s, 0, s.length));
            }
            byte[] audio = out.toByteArray();
            for (int off = 0; off < audio.length; off += 1600) {
                synchronized (this) {
                    socket.sendBinary(java.util.Arrays.copyOfRange(audio, off, Math.min(audio.length, off + 1600)));
                    samples += Math.min(1600, audio.length - off);
                }
                Thread.sleep(200);
            }
        }
    }
}
