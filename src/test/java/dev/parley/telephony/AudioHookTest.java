package dev.parley.telephony;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.telephony.audiohook.AudioHookSignature;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ParleyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Genesys AudioHook v2: message sequences shaped as the reference implementation documents them. */
@Timeout(120)
class AudioHookTest {

    private static final String KEY = "audiohook-api-key";
    private static final String SECRET = Base64.getEncoder().encodeToString("a client secret of 32 bytes!!!!!".getBytes());
    private static final String PROBE = "00000000-0000-0000-0000-000000000000";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte SILENCE = (byte) 0xFF;   // mu-law zero
    private static final long IDLE_S = 3;
    /** An API key for Parley's own HTTP API (pause and resume), not an AudioHook key. */
    private static final String CONTROL_KEY = "parley-control-api-key-0001";
    private static ParleyServer parley;

    @BeforeAll
    static void start() throws Exception {
        parley = ParleyServer.start(Map.of("parley.audiohook.api-keys", KEY, "parley.audiohook.client-secret", SECRET,
                "parley.translation.targets", "es", "parley.session.max-queued-audio-ms", "30000",
                "parley.session.idle-timeout-s", Long.toString(IDLE_S), "parley.auth.api-keys", CONTROL_KEY));
    }

    @AfterAll
    static void stop() {
        if (parley != null) {
            parley.close();
        }
    }

    private SocketClient connect(String key, boolean sign, String secret) throws Exception {
        return connect(upgradeHeaders(key, sign, secret));
    }

    private SocketClient connect(Map<String, String> headers) throws Exception {
        return SocketClient.connect(URI.create("ws://127.0.0.1:" + parley.port() + "/audiohook"), headers);
    }

    /** The headers of an upgrade as Genesys sends them, signed (RFC 9421) with a fresh nonce when asked. */
    private Map<String, String> upgradeHeaders(String key, boolean sign, String secret) {
        Map<String, String> h = new HashMap<>();
        h.put("Audiohook-Organization-Id", "d7934305-0972-4844-938e-9060eef73d05");
        h.put("Audiohook-Correlation-Id", "e160e428-53e2-487c-977d-96989bf5c99d");
        if (key != null) {
            h.put("X-API-KEY", key);
        }
        if (sign) {
            long now = System.currentTimeMillis() / 1000;
            String params = "(\"@request-target\" \"@authority\" \"audiohook-organization-id\" \"audiohook-correlation-id\" \"x-api-key\")"
                    + ";keyid=\"" + key + "\";nonce=\"" + UUID.randomUUID() + "\";alg=\"hmac-sha256\";created=" + now + ";expires=" + (now + 30);
            String authority = "127.0.0.1:" + parley.port();
            String base = "\"@request-target\": /audiohook\n\"@authority\": " + authority
                    + "\n\"audiohook-organization-id\": " + h.get("Audiohook-Organization-Id")
                    + "\n\"audiohook-correlation-id\": " + h.get("Audiohook-Correlation-Id")
                    + "\n\"x-api-key\": " + key + "\n\"@signature-params\": " + params;
            h.put("Signature-Input", "sig1=" + params);
            h.put("Signature", "sig1=:" + Base64.getEncoder().encodeToString(
                    AudioHookSignature.hmac(Base64.getDecoder().decode(secret), base)) + ":");
        }
        return h;
    }

    private static long archivedSessions() throws Exception {
        if (!Files.exists(parley.archive())) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(parley.archive())) {
            return s.filter(p -> p.getFileName().toString().equals("call.json")).count();
        }
    }

    @Test
    void theConnectionProbeIsAnsweredAndLeavesNothingInTheArchive() throws Exception {
        long before = archivedSessions();
        try (SocketClient ws = connect(KEY, true, SECRET)) {
            AudioHookClient c = new AudioHookClient(ws);
            JsonNode opened = c.open(PROBE, true);
            assertEquals(1, opened.path("seq").asLong());
            assertEquals(1, opened.path("clientseq").asLong());
            assertEquals(c.id, opened.path("id").asText());
            assertEquals(1, opened.path("parameters").path("media").size());
            assertEquals("[\"external\",\"internal\"]", opened.path("parameters").path("media").get(0).path("channels").toString());
            ws.send(c.message("ping"));
            JsonNode pong = c.expect("pong");
            assertEquals(2, pong.path("seq").asLong());
            assertEquals(2, pong.path("clientseq").asLong());
            ObjectNode close = c.message("close");
            ((ObjectNode) close.get("parameters")).put("reason", "end");
            ws.send(close);
            JsonNode closed = c.expect("closed");
            assertEquals(3, closed.path("clientseq").asLong());
        }
        Thread.sleep(300);
        assertEquals(before, archivedSessions());
        assertTrue(parley.sessions().openSessions() == 0);
    }

    @Test
    void aWrongApiKeyOrSignatureOrAReplayedSignatureIsDisconnectedAsUnauthorized() throws Exception {
        Map<String, String> signed = upgradeHeaders(KEY, true, SECRET);
        try (SocketClient first = connect(signed)) {
            new AudioHookClient(first).open(PROBE, false);
        }
        for (SocketClient ws : List.of(connect("wrong-key", false, SECRET), connect(null, false, SECRET),
                connect(KEY, false, SECRET), connect(KEY, true, Base64.getEncoder().encodeToString("another secret".getBytes())),
                connect(signed))) {
            try (ws) {
                AudioHookClient c = new AudioHookClient(ws);
                c.ws.send(openOf(c));
                JsonNode d = ws.await(m -> m.path("type").asText().equals("disconnect"), Duration.ofSeconds(10));
                assertEquals("unauthorized", d.path("parameters").path("reason").asText());
                assertEquals(1, d.path("clientseq").asLong());
                assertFalse(ws.received().stream().anyMatch(m -> m.path("type").asText().matches("opened|error")));
            }
        }
    }

    private static ObjectNode openOf(AudioHookClient c) {
        ObjectNode open = c.message("open");
        ((ObjectNode) open.get("parameters")).put("conversationId", UUID.randomUUID().toString()).putArray("media")
                .addObject().put("type", "audio").put("format", "PCMU").put("rate", 8000).putArray("channels").add("external");
        return open;
    }

    @Test
    void protocolViolationsGetDisconnectWithReasonErrorNeverAnErrorMessage() throws Exception {
        // wrong seq; a repeated seq; duplicate open; wrong id; unknown type; serverseq from the future; malformed JSON;
        // a negative discarded; a gap beyond the session's maximum length (4 h)
        List<java.util.function.Consumer<AudioHookClient>> faults = List.of(
                c -> send(c, c.message("ping").put("seq", 5)),
                c -> send(c, c.message("ping").put("seq", c.seq - 1)),
                c -> send(c, openOf(c)),
                c -> send(c, c.message("ping").put("id", UUID.randomUUID().toString())),
                c -> send(c, c.message("dance")),
                c -> send(c, c.message("ping").put("serverseq", 99)),
                c -> send(c, "{\"version\":\"2\",\"type\":"),
                c -> send(c, discardedOf(c, "-PT1S")),
                c -> send(c, discardedOf(c, "PT4H0.001S")));
        for (var fault : faults) {
            try (SocketClient ws = connect(KEY, true, SECRET)) {
                AudioHookClient c = new AudioHookClient(ws);
                c.open(PROBE, false);
                fault.accept(c);
                JsonNode d = ws.await(m -> m.path("type").asText().equals("disconnect"), Duration.ofSeconds(10));
                assertEquals("error", d.path("parameters").path("reason").asText());
                assertFalse(ws.received().stream().anyMatch(m -> m.path("type").asText().equals("error")));
            }
        }
        try (SocketClient ws = connect(KEY, true, SECRET)) {
            AudioHookClient c = new AudioHookClient(ws);
            send(c, c.message("ping"));
            JsonNode d = ws.await(m -> m.path("type").asText().equals("disconnect"), Duration.ofSeconds(10));
            assertEquals("error", d.path("parameters").path("reason").asText());
        }
    }

    private static ObjectNode discardedOf(AudioHookClient c, String duration) {
        ObjectNode m = c.message("discarded");
        ((ObjectNode) m.get("parameters")).put("start", AudioHookClient.duration(c.samples)).put("discarded", duration);
        return m;
    }

    private static void send(AudioHookClient c, Object m) {
        try {
            c.ws.send(m);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aStereoCallWhosePartiesTakeTurnsIsTwoChannelsCustomerAndAgentEachTranscribedInItsOwnTurns() throws Exception {
        Telephone.Call call = Telephone.takingTurns("0870", "0920", "0890", "0880", "0930");
        String conversation = UUID.randomUUID().toString();
        try (SocketClient ws = connect(KEY, true, SECRET)) {
            AudioHookClient c = new AudioHookClient(ws);
            JsonNode opened = c.open(conversation, true);
            assertEquals("[\"external\",\"internal\"]", opened.path("parameters").path("media").get(0).path("channels").toString());
            byte[] ext = call.audio().get("customer");
            byte[] in = call.audio().get("agent");
            long start = System.nanoTime();
            for (int off = 0; off < ext.length; off += 1600) {       // 200 ms frames, at 3x real time
                int n = Math.min(1600, ext.length - off);
                byte[] frame = new byte[2 * n];
                for (int i = 0; i < n; i++) {
                    frame[2 * i] = ext[off + i];
                    frame[2 * i + 1] = in[off + i];
                }
                ws.sendBinary(frame);
                c.samples += n;
                if (off == 8000) {
                    ws.send(c.message("ping"));
                    c.expect("pong");
                }
                long wait = start + (long) ((off + n) / 8 * 1e6 / 3) - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000);
                }
            }
            // Paused audio is not recorded.
            ws.send(c.message("paused"));
            byte[] held = new byte[3200];
            ws.sendBinary(held);
            c.samples += 1600;
            ws.send(c.message("resumed"));
            ObjectNode close = c.message("close");
            ((ObjectNode) close.get("parameters")).put("reason", "end");
            ws.send(close);
            JsonNode closed = c.expect("closed");
            assertEquals(c.seq, closed.path("clientseq").asLong());
        }
        Path folder = Archives.await(parley.archive(), "conversation_id", conversation, Duration.ofSeconds(20));
        List<JsonNode> events = Archives.transcript(folder);
        assertEquals("audiohook", events.get(0).path("session").path("ingest").asText());
        call.assertEachPartyTranscribedInItsTurns("AudioHook stereo", events);
        assertEquals("close", Archives.ofType(events, "session.closed").get(0).path("reason").asText());
    }

    @Test
    void discardedAudioAndAPositionJumpAreSilenceInAudioWavAndTheTranscriptKeepsTheCallsTimes() throws Exception {
        String[][] spoken = {{"0880", "0930"}, {"0930", "0880"}, {"0880", "0930"}};   // customer, agent
        long discarded = 20_000;   // 2.5 s the client discarded and says so
        long lost = 12_000;        // 1.5 s that never arrived: only the next message's position tells
        String conversation = UUID.randomUUID().toString();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        List<long[]> parts = new ArrayList<>();   // where each part lies in the call, in samples
        long received = 0;
        try (SocketClient ws = connect(KEY, true, SECRET)) {
            AudioHookClient c = new AudioHookClient(ws);
            c.open(conversation, true);
            for (int i = 0; i < spoken.length; i++) {
                if (i == 1) {
                    long start = c.samples;
                    c.samples += discarded;   // the client's position counts discarded audio
                    ObjectNode d = c.message("discarded");
                    ((ObjectNode) d.get("parameters")).put("start", AudioHookClient.duration(start)).put("discarded", AudioHookClient.duration(discarded));
                    ws.send(d);
                    expected.write(silence(2 * discarded));
                } else if (i == 2) {
                    c.samples += lost;
                    ws.send(c.message("ping"));
                    c.expect("pong");
                    expected.write(silence(2 * lost));
                }
                int length = 4000 + 8000 + (int) Math.max(Telephone.mulaw(LibriVox.get(spoken[i][0])).length,
                        Telephone.mulaw(LibriVox.get(spoken[i][1])).length);
                byte[] customer = AudioHookClient.part(spoken[i][0], length);
                byte[] agent = AudioHookClient.part(spoken[i][1], length);
                parts.add(new long[] {c.samples, c.samples + length});
                c.stream(customer, agent);
                for (int k = 0; k < length; k++) {
                    expected.write(customer[k]);
                    expected.write(agent[k]);
                }
                received += length;
            }
            ObjectNode close = c.message("close");
            ((ObjectNode) close.get("parameters")).put("reason", "end");
            ws.send(close);
            c.expect("closed");
        }
        Path folder = Archives.await(parley.archive(), "conversation_id", conversation, Duration.ofSeconds(30));
        Archives.Wav wav = Archives.wav(folder);
        assertEquals(List.of(7, 2, 8000), List.of(wav.format(), wav.channels(), wav.rate()));
        assertEquals(2 * (received + discarded + lost), wav.data().length, "audio.wav is as long as the call");
        assertArrayEquals(expected.toByteArray(), wav.data(), "every part at its time in the call, silence where audio was missing");

        List<JsonNode> events = Archives.transcript(folder);
        JsonNode closed = Archives.ofType(events, "session.closed").get(0);
        for (String channel : List.of("customer", "agent")) {
            assertEquals(received, closed.path("audio").path(channel).path("bytes").asLong(), "the recognizer got the audio, not the gaps");
            List<JsonNode> finals = events.stream().filter(e -> e.path("type").asText().equals("transcript.final")
                    && e.path("channel").asText().equals(channel)).toList();
            for (long[] part : parts) {
                long from = part[0] / 8;
                long to = part[1] / 8;
                List<JsonNode> inPart = finals.stream().filter(f -> f.path("start_ms").asLong() >= from
                        && f.path("end_ms").asLong() <= to).toList();
                assertFalse(inPart.isEmpty(), channel + ": no final within " + from + "-" + to + " ms; finals " + finals);
                long onset = inPart.get(0).path("start_ms").asLong() - from;
                assertTrue(onset >= 450 && onset <= 1500, channel + ": speech half a second into the part at "
                        + from + " ms, heard " + onset + " ms in");
            }
            for (JsonNode f : finals) {
                assertTrue(parts.stream().anyMatch(p -> f.path("start_ms").asLong() >= p[0] / 8 && f.path("end_ms").asLong() <= p[1] / 8),
                        channel + ": a final outside the audio received: " + f);
            }
        }
    }

    private static byte[] silence(long bytes) {
        byte[] out = new byte[(int) bytes];
        Arrays.fill(out, SILENCE);
        return out;
    }

    @Test
    void audioBeforeOpenIsAProtocolViolation() throws Exception {
        try (SocketClient ws = connect(KEY, true, SECRET)) {
            ws.sendBinary(silence(320));
            JsonNode d = ws.await(m -> m.path("type").asText().equals("disconnect"), Duration.ofSeconds(10));
            assertEquals("error", d.path("parameters").path("reason").asText());
            assertEquals(1, d.path("seq").asLong());
            assertEquals(0, d.path("clientseq").asLong());
            assertFalse(ws.received().stream().anyMatch(m -> m.path("type").asText().matches("opened|error")));
        }
    }

    @Test
    void updateIsAnsweredWithUpdatedAndALanguageTheCallCannotSwitchToIsSaidNotToApply() throws Exception {
        String conversation = UUID.randomUUID().toString();
        try (SocketClient ws = connect(KEY, true, SECRET)) {
            AudioHookClient c = new AudioHookClient(ws);
            c.open(conversation, true);
            for (String language : List.of("en-US", "es-ES")) {
                ObjectNode update = c.message("update");
                ((ObjectNode) update.get("parameters")).put("language", language);
                long before = c.serverseq;
                ws.send(update);
                JsonNode updated = ws.await(m -> m.path("type").asText().equals("updated") && m.path("seq").asLong() > before,
                        Duration.ofSeconds(10));
                c.serverseq = updated.path("seq").asLong();
                assertEquals(before + 1, updated.path("seq").asLong(), "the server's next seq");
                assertEquals(update.path("seq").asLong(), updated.path("clientseq").asLong(), "answers the update's seq");
                assertEquals("{}", updated.path("parameters").toString());
            }
            ws.send(c.message("close"));
            c.expect("closed");
        }
        List<JsonNode> warnings = Archives.ofType(Archives.transcript(
                Archives.await(parley.archive(), "conversation_id", conversation, Duration.ofSeconds(20))), "warning");
        assertEquals(1, warnings.size(), "en-US is the call's language already; es-ES is not: " + warnings);
        assertEquals("language_not_changed", warnings.get(0).path("code").asText());
        assertTrue(warnings.get(0).path("message").asText().contains("es-ES"));
    }

    @Test
    void aClientErrorIsArchivedAsAWarningAndTheSessionGoesOn() throws Exception {
        String conversation = UUID.randomUUID().toString();
        try (SocketClient ws = connect(KEY, true, SECRET)) {
            AudioHookClient c = new AudioHookClient(ws);
            c.open(conversation, true);
            ObjectNode error = c.message("error");
            ((ObjectNode) error.get("parameters")).put("code", 500).put("message", "Internal client error");
            ws.send(error);
            ws.send(c.message("ping"));
            c.expect("pong");
            ws.sendBinary(silence(1600));
            c.samples += 800;
            ws.send(c.message("close"));
            c.expect("closed");
            assertFalse(ws.received().stream().anyMatch(m -> m.path("type").asText().equals("disconnect")));
        }
        List<JsonNode> events = Archives.transcript(Archives.await(parley.archive(), "conversation_id", conversation, Duration.ofSeconds(20)));
        JsonNode warning = Archives.ofType(events, "warning").get(0);
        assertEquals("client_error", warning.path("code").asText());
        assertEquals("The AudioHook client reported error 500: Internal client error", warning.path("message").asText());
        assertEquals("close", Archives.ofType(events, "session.closed").get(0).path("reason").asText());
    }

    @Test
    void aSessionWithNoAudioAndNoMessageIsEndedWithDisconnectCompleted() throws Exception {
        String conversation = UUID.randomUUID().toString();
        try (SocketClient ws = connect(KEY, true, SECRET)) {
            AudioHookClient c = new AudioHookClient(ws);
            c.open(conversation, true);
            // Pings alone keep a session without audio going, past the idle timeout.
            for (int i = 0; i < IDLE_S + 2; i++) {
                Thread.sleep(1000);
                ws.send(c.message("ping"));
                c.expect("pong");
            }
            long lastMessage = System.nanoTime();
            JsonNode d = ws.await(m -> m.path("type").asText().equals("disconnect"), Duration.ofSeconds(3 * IDLE_S));
            long quietMs = (System.nanoTime() - lastMessage) / 1_000_000;
            assertEquals("completed", d.path("parameters").path("reason").asText());
            assertTrue(quietMs >= IDLE_S * 1000 - 200, "ended after " + quietMs + " ms of quiet");
            c.serverseq = d.path("seq").asLong();
            ws.send(c.message("close"));
            c.expect("closed");
        }
        List<JsonNode> events = Archives.transcript(Archives.await(parley.archive(), "conversation_id", conversation, Duration.ofSeconds(20)));
        assertEquals("idle_timeout", Archives.ofType(events, "error").get(0).path("code").asText());
        assertEquals("idle_timeout", Archives.ofType(events, "session.closed").get(0).path("reason").asText());
    }
    /** POSTs to /api/sessions/{id}/{action}, with the key as Authorization: Bearer unless it is null. */
    private static HttpResponse<String> control(String sessionId, String action, String key) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(parley.http("/api/sessions/" + sessionId + "/" + action))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Parley's id of the session of a conversation, as its call.json (or its session.created webhook) tells. */
    private static String sessionIdOf(String conversation) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            Path folder = Archives.find(parley.archive(), "conversation_id", conversation);
            if (folder != null) {
                return JSON.readTree(folder.resolve("call.json").toFile()).path("session_id").asText();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no session for conversation " + conversation);
    }

    @Test
    void aPauseAskedForOverHttpKeepsNoAudioUntilTheClientResumesAndTheCallKeepsItsTime() throws Exception {
        String conversation = UUID.randomUUID().toString();
        byte[] before = AudioHookClient.part("0880");
        byte[] card = AudioHookClient.part("0930");     // the card number: said after Parley stopped keeping audio
        byte[] after = AudioHookClient.part("0890");
        long pausedMs;
        try (SocketClient ws = connect(KEY, true, SECRET)) {
            AudioHookClient c = new AudioHookClient(ws);
            c.open(conversation, false);   // mono: the customer
            c.stream(before);
            ws.send(c.message("ping"));
            c.expect("pong");   // all audio sent so far has arrived
            String session = sessionIdOf(conversation);

            HttpResponse<String> paused = control(session, "pause", CONTROL_KEY);
            assertEquals(200, paused.statusCode(), paused.body());
            assertEquals("{\"session_id\":\"" + session + "\",\"paused\":true}", paused.body());
            JsonNode pause = c.expect("pause");
            assertEquals(c.seq, pause.path("clientseq").asLong());
            assertEquals("{}", pause.path("parameters").toString());
            c.stream(card);   // still on its way when the client heard 'pause'
            ws.send(c.message("paused"));
            assertEquals(200, control(session, "pause", CONTROL_KEY).statusCode(), "pausing a paused call is no error");
            ws.send(c.message("ping"));
            c.expect("pong");
            assertEquals(1, ws.received().stream().filter(m -> m.path("type").asText().equals("pause")).count(),
                    "only a change is sent to the client");
            long pausedAt = System.nanoTime();
            // Paused for longer than the idle timeout: the client's pings keep the call.
            for (int i = 0; i <= IDLE_S; i++) {
                Thread.sleep(1000);
                ws.send(c.message("ping"));
                c.expect("pong");
            }

            HttpResponse<String> resumed = control(session, "resume", CONTROL_KEY);
            assertEquals(200, resumed.statusCode(), resumed.body());
            assertTrue(resumed.body().contains("\"paused\":false"));
            c.expect("resume");
            pausedMs = (System.nanoTime() - pausedAt) / 1_000_000;
            ObjectNode resumedMessage = c.message("resumed");   // its position leaves the paused time out
            ((ObjectNode) resumedMessage.get("parameters")).put("start", AudioHookClient.duration(c.samples)).put("discarded", AudioHookClient.duration(pausedMs * 8));
            ws.send(resumedMessage);
            c.stream(after);
            ws.send(c.message("close"));
            c.expect("closed");
        }
        Path folder = Archives.await(parley.archive(), "conversation_id", conversation, Duration.ofSeconds(30));
        long resumeAt = before.length + card.length + pausedMs * 8;
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(before);
        expected.write(silence(resumeAt - before.length));
        expected.write(after);
        Archives.Wav wav = Archives.wav(folder);
        assertEquals(1, wav.channels());
        assertEquals(resumeAt + after.length, wav.data().length, "audio.wav lasts as long as the call");
        assertArrayEquals(expected.toByteArray(), wav.data(), "silence from the pause request to the resumption");

        List<JsonNode> events = Archives.transcript(folder);
        JsonNode pausedEvent = Archives.ofType(events, "audio.paused").get(0);
        JsonNode resumedEvent = Archives.ofType(events, "audio.resumed").get(0);
        assertEquals(List.of(before.length / 8L, "api"), List.of(pausedEvent.path("at_ms").asLong(), pausedEvent.path("by").asText()));
        assertEquals(List.of(resumeAt / 8, "client"), List.of(resumedEvent.path("at_ms").asLong(), resumedEvent.path("by").asText()));
        assertEquals(before.length + after.length, Archives.ofType(events, "session.closed").get(0)
                .path("audio").path("customer").path("bytes").asLong(), "nothing said during the pause reached the recognizer");
        List<JsonNode> finals = Archives.ofType(events, "transcript.final");
        assertTrue(finals.stream().anyMatch(f -> f.path("end_ms").asLong() <= before.length / 8), "the words before: " + finals);
        assertTrue(finals.stream().noneMatch(f -> f.path("end_ms").asLong() > before.length / 8
                && f.path("start_ms").asLong() < resumeAt / 8), "no words from the pause: " + finals);
        long onset = finals.stream().mapToLong(f -> f.path("start_ms").asLong()).filter(t -> t >= resumeAt / 8).min()
                .orElseThrow(() -> new AssertionError("no words after the pause: " + finals)) - resumeAt / 8;
        assertTrue(onset >= 450 && onset <= 1500, "speech half a second after the resumption, heard " + onset + " ms after");
    }

    @Test
    void pauseAndResumeNeedAnApiKeyAndAnOpenSessionWhoseClientCanPauseAndResumeEndsOnlyParleysOwnPause() throws Exception {
        assertEquals(401, control("ses_aaaaaaaaaaaaaaaaaaaa", "pause", null).statusCode());
        assertEquals(401, control("ses_aaaaaaaaaaaaaaaaaaaa", "pause", KEY).statusCode(), "an AudioHook key is not Parley's");
        HttpResponse<String> unknown = control("ses_aaaaaaaaaaaaaaaaaaaa", "pause", CONTROL_KEY);
        assertEquals(404, unknown.statusCode());
        assertEquals("not_found", JSON.readTree(unknown.body()).path("error").path("code").asText());

        try (SocketClient listen = SocketClient.connect(parley.ws("/v1/listen?targets="), Map.of())) {
            String session = listen.await(m -> m.path("type").asText().equals("session.created"), Duration.ofSeconds(10))
                    .path("session_id").asText();
            HttpResponse<String> refused = control(session, "pause", CONTROL_KEY);
            assertEquals(409, refused.statusCode());
            assertEquals("cannot_pause", JSON.readTree(refused.body()).path("error").path("code").asText());
        }

        String conversation = UUID.randomUUID().toString();
        try (SocketClient ws = connect(KEY, true, SECRET)) {
            AudioHookClient c = new AudioHookClient(ws);
            c.open(conversation, false);
            ws.send(c.message("paused"));   // the platform's own pause, not Parley's
            ws.send(c.message("ping"));
            c.expect("pong");
            HttpResponse<String> resumed = control(sessionIdOf(conversation), "resume", CONTROL_KEY);
            assertEquals(200, resumed.statusCode(), resumed.body());
            ws.send(c.message("ping"));
            c.expect("pong");
            assertTrue(ws.received().stream().noneMatch(m -> m.path("type").asText().equals("resume")),
                    "Parley's resume does not end a pause it did not ask for");
            ws.send(c.message("close"));
            c.expect("closed");
        }
        Archives.await(parley.archive(), "conversation_id", conversation, Duration.ofSeconds(20));
        HttpResponse<String> ended = control(sessionIdOf(conversation), "resume", CONTROL_KEY);
        assertEquals(409, ended.statusCode());
        assertEquals("session_ended", JSON.readTree(ended.body()).path("error").path("code").asText());
    }
}
