package dev.parley.telephony;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.telephony.twilio.TwilioSignature;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WebhookReceiver;
import dev.parley.testing.WordErrorRate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Twilio Media Streams end to end: real WebSockets, messages shaped as Twilio documents them, LibriVox audio as 8 kHz mu-law. */
@Timeout(120)
class TwilioMediaStreamTest {

    private static final String TOKEN = "twilio-auth-token-for-tests";
    /** Spanish of about the length of the translations played here, to tell speech apart by. */
    private static final String OTHER_SENTENCE = "Mañana por la tarde lloverá en toda la costa";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ParleyServer parley;
    private static WebhookReceiver hooks;

    @BeforeAll
    static void start() throws Exception {
        hooks = new WebhookReceiver();
        parley = ParleyServer.start(Map.of("parley.twilio.auth-token", TOKEN, "parley.translation.targets", "es",
                "parley.session.max-queued-audio-ms", "30000", "parley.webhooks.urls", hooks.url(),
                "parley.webhooks.secret", WebhookReceiver.SECRET, "parley.recognizer.pocketsphinx.warm-decoders", "3"));
    }

    @AfterAll
    static void stop() {
        if (parley != null) {
            parley.close();
        }
        if (hooks != null) {
            hooks.close();
        }
    }

    private URI uri() {
        return parley.wsWithoutToken("/twilio/media");
    }

    private SocketClient connect() throws Exception {
        String url = "wss://127.0.0.1:" + parley.port() + "/twilio/media";
        return SocketClient.connect(uri(), Map.of("X-Twilio-Signature", TwilioSignature.sign(TOKEN, url)));
    }

    private static byte[] silence(int ms) {
        byte[] s = new byte[ms * 8];
        java.util.Arrays.fill(s, (byte) 0xFF);
        return s;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void oneInboundTrackIsTheCustomerTranscribedTranslatedArchivedAndNotified() throws Exception {
        LibriVox.Recording r = LibriVox.get("0870");
        try (SocketClient ws = connect()) {
            TwilioStream s = new TwilioStream(ws, "one");
            s.start(List.of("inbound"), Map.of("customer_language", "en", "customer_targets", "es", "crm_id", "T-1"));
            s.audio(Map.of("inbound", concat(Telephone.mulaw(r), silence(600))), 3);
            s.stop();
            assertEquals(1000, ws.awaitClose(Duration.ofSeconds(30)));
            Path folder = Archives.await(parley.archive(), "call_sid", s.callSid, Duration.ofSeconds(10));
            List<JsonNode> events = Archives.transcript(folder);
            JsonNode created = events.get(0).path("session");
            assertEquals("twilio", created.path("ingest").asText());
            assertEquals("[\"customer\"]", created.path("channels").toString());
            assertEquals("T-1", created.path("metadata").path("crm_id").asText());
            List<JsonNode> finals = Archives.ofType(events, "transcript.final");
            assertFalse(finals.isEmpty());
            finals.forEach(f -> assertEquals("customer", f.path("channel").asText()));
            Archives.ofType(events, "translation.final").forEach(t -> {
                assertEquals("customer", t.path("channel").asText());
                assertEquals("es", t.path("language").asText());
            });
            assertFalse(Archives.ofType(events, "translation.final").isEmpty());
            assertEquals("stop", Archives.ofType(events, "session.closed").get(0).path("reason").asText());
            double wer = WordErrorRate.of(r.transcript(), Archives.text(events, "transcript.final", "customer"));
            double batch = Telephone.batchWer(List.of(r));
            System.out.printf("Twilio one track: WER %.3f, batch WER of the same 8 kHz audio %.3f%n", wer, batch);
            assertTrue(wer <= batch + 0.05, "WER " + wer + " over batch " + batch + " + 0.05");
            String sessionId = events.get(0).path("session_id").asText();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            List<JsonNode> hooked = List.of();
            while (System.nanoTime() < deadline) {
                hooked = hooks.verified().stream().map(WebhookReceiver.Delivery::event)
                        .filter(e -> e.path("session_id").asText().equals(sessionId)
                                && e.path("type").asText().equals("transcript.final")).toList();
                if (hooked.size() == finals.size()) {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals(finals.size(), hooked.size());
            hooked.forEach(e -> assertEquals("customer", e.path("channel").asText()));
        }
    }

    @Test
    void twoTracksOfACallWhosePartiesTakeTurnsAreTwoChannelsEachTranscribedInItsOwnTurns() throws Exception {
        Telephone.Call call = Telephone.takingTurns("0870", "0920", "0890", "0880", "0930");
        try (SocketClient ws = connect()) {
            TwilioStream s = new TwilioStream(ws, "two");
            s.start(List.of("inbound", "outbound"), Map.of("customer_targets", "es", "agent_targets", "es"));
            s.audio(Map.of("inbound", call.audio().get("customer"), "outbound", call.audio().get("agent")), 3);
            s.stop();
            assertEquals(1000, ws.awaitClose(Duration.ofSeconds(30)));
            Path folder = Archives.await(parley.archive(), "call_sid", s.callSid, Duration.ofSeconds(10));
            List<JsonNode> events = Archives.transcript(folder);
            assertEquals("[\"customer\",\"agent\"]", events.get(0).path("session").path("channels").toString());
            call.assertEachPartyTranscribedInItsTurns("Twilio two tracks", events);
            assertWebhooksCarryTheArchivesChannels(events);
        }
    }

    @Test
    void twoLegsOfAConversationAreOneSessionInWhichEachPartyHearsTheOthersWordsTranslated() throws Exception {
        LibriVox.Recording customer = LibriVox.get("0870");
        LibriVox.Recording agent = LibriVox.get("0920");
        String conversation = "CAconversation";
        // Offline both parties speak English; their words go to different targets, so who hears what shows.
        Map<String, String> languages = Map.of("customer_targets", "es", "agent_targets", "ca");
        try (SocketClient a = connect(); SocketClient b = connect()) {
            TwilioStream legA = new TwilioStream(a, "legA");
            legA.start(List.of("inbound"), with(languages, "conversation", conversation, "channel", "customer",
                    "playback", "true", "crm_id", "T-2"));
            Archives.awaitOpen(parley.archive(), "customer_call_sid", legA.callSid, Duration.ofSeconds(10));
            assertRefused(with(Map.of("agent_targets", "es"), "conversation", conversation, "channel", "agent"), "agent_targets");
            // The customer waits on the line for a second before the agent's leg joins.
            legA.audio(Map.of("inbound", silence(1000)), 2);

            TwilioStream legB = new TwilioStream(b, "legB");
            legB.start(List.of("inbound"), with(languages, "conversation", conversation, "channel", "agent",
                    "playback", "true", "crm_id", "ignored", "agent_id", "A-7"));
            Archives.awaitOpen(parley.archive(), "agent_call_sid", legB.callSid, Duration.ofSeconds(10));
            assertRefused(Map.of("conversation", conversation, "channel", "agent"), "already has a stream for the agent");

            CompletableFuture<Void> agentSpeaks = CompletableFuture.runAsync(() -> {
                try {
                    legB.audio(Map.of("inbound", concat(Telephone.mulaw(agent), silence(1000))), 2);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            legA.audio(Map.of("inbound", concat(Telephone.mulaw(customer), silence(1000))), 2);
            agentSpeaks.get(30, TimeUnit.SECONDS);
            a.await(m -> m.path("event").asText().equals("mark"), Duration.ofSeconds(30));
            b.await(m -> m.path("event").asText().equals("mark"), Duration.ofSeconds(30));
            // The customer hangs up first; the session lasts until the agent's leg ends too.
            legA.stop();
            Thread.sleep(500);
            assertFalse(a.isClosed() || b.isClosed(), "one leg's stop does not end the conversation");
            legB.stop();
            assertEquals(1000, a.awaitClose(Duration.ofSeconds(30)));
            assertEquals(1000, b.awaitClose(Duration.ofSeconds(30)));

            Path folder = Archives.await(parley.archive(), "call_sid", legA.callSid, Duration.ofSeconds(10));
            JsonNode metadata = JSON.readTree(folder.resolve("call.json").toFile()).path("metadata");
            assertEquals(legA.callSid, metadata.path("customer_call_sid").asText());
            assertEquals(legA.streamSid, metadata.path("customer_stream_sid").asText());
            assertEquals(legB.callSid, metadata.path("agent_call_sid").asText());
            assertEquals(legB.streamSid, metadata.path("agent_stream_sid").asText());
            assertEquals("T-2", metadata.path("crm_id").asText(), "the first leg's parameters stay");
            assertEquals("A-7", metadata.path("agent_id").asText(), "the second leg's new parameters are added");

            List<JsonNode> events = Archives.transcript(folder);
            assertEquals("[\"customer\",\"agent\"]", events.get(0).path("session").path("channels").toString());
            List<JsonNode> joined = Archives.ofType(events, "session.joined");
            assertEquals(1, joined.size());
            assertEquals("agent", joined.get(0).path("channel").asText());
            assertEquals(legB.callSid, joined.get(0).path("metadata").path("agent_call_sid").asText());
            assertFalse(Archives.text(events, "transcript.final", "customer").isBlank());
            assertFalse(Archives.text(events, "transcript.final", "agent").isBlank());
            // The agent's times are the session's: its audio starts a second into it (0920's speech 330 ms later),
            // in the transcript and in audio.wav, where the agent's channel is silent until then.
            long agentStart = Archives.ofType(events, "transcript.final").stream().filter(f -> f.path("channel").asText().equals("agent"))
                    .mapToLong(f -> f.path("start_ms").asLong()).min().orElseThrow();
            assertTrue(agentStart >= 1000 && agentStart <= 2000, "the agent's first words at " + agentStart + " ms");
            Archives.Wav wav = Archives.wav(folder);
            assertEquals(2, wav.channels());
            int firstAgentSound = -1;
            for (int f = 0; f < wav.data().length / 2 && firstAgentSound < 0; f++) {
                if (wav.data()[2 * f + 1] != (byte) 0xFF) {
                    firstAgentSound = f;
                }
            }
            assertTrue(firstAgentSound >= 8000 && firstAgentSound < 8000 + 800, "the agent's audio starts at sample " + firstAgentSound);
            for (JsonNode t : Archives.ofType(events, "translation.final")) {
                assertEquals(t.path("channel").asText().equals("customer") ? "es" : "ca", t.path("language").asText(), t.toString());
            }
            List<JsonNode> closed = Archives.ofType(events, "session.closed");
            assertEquals(1, closed.size());
            assertEquals("stop", closed.get(0).path("reason").asText());
            assertTrue(closed.get(0).path("audio").path("agent").path("bytes").asLong() > 0, closed.get(0).toString());

            // Each leg hears, as 160-byte mu-law media then a mark, eSpeak NG speaking the other party's words.
            int heardByAgent = assertHears(b, legB, events, "customer", "es");
            int heardByCustomer = assertHears(a, legA, events, "agent", "ca");
            System.out.printf("Twilio conversation: the agent heard %d translations of the customer, the customer %d of the agent%n",
                    heardByAgent, heardByCustomer);

            assertWebhooksCarryTheArchivesChannels(events);
        }
    }

    /** The session's webhooks are its archived events (of the types webhooks carry), each with the archive's channel. */
    private static void assertWebhooksCarryTheArchivesChannels(List<JsonNode> events) throws Exception {
        String sessionId = events.get(0).path("session_id").asText();
        Map<String, String> archived = new LinkedHashMap<>();
        events.stream().filter(e -> List.of("session.created", "session.joined", "transcript.final", "translation.final",
                "session.closed").contains(e.path("type").asText()))
                .forEach(e -> archived.put(e.path("event_id").asText(), e.path("channel").asText()));
        Map<String, String> hooked = new LinkedHashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (hooked.size() < archived.size() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            hooked.clear();
            hooks.verified().stream().map(WebhookReceiver.Delivery::event)
                    .filter(e -> e.path("session_id").asText().equals(sessionId))
                    .forEach(e -> hooked.put(e.path("event_id").asText(), e.path("channel").asText()));
        }
        assertEquals(new TreeMap<>(archived), new TreeMap<>(hooked), "webhooks get the archive's events, each with its channel");
    }

    @Test
    void aLanguageTheRecognizerCannotHearRefusesTheStreamSayingSo() throws Exception {
        // Offline only English is heard: a Spanish-speaking customer needs parley.recognizer=openai.
        assertRefused(Map.of("customer_language", "es"), "the customer speaks 'es' but the 'pocketsphinx' recognizer knows only en");
    }

    /** A stream with these parameters is refused with 1008 and a reason that says why. */
    private void assertRefused(Map<String, String> params, String reason) throws Exception {
        try (SocketClient ws = connect()) {
            new TwilioStream(ws, "refused" + System.nanoTime()).start(List.of("inbound"), params);
            assertEquals(1008, ws.awaitClose(Duration.ofSeconds(10)));
            assertTrue(ws.closeReason().contains(reason), ws.closeReason());
        }
    }

    /**
     * Every mark the leg got names a translation of {@code speaker}'s words into {@code language}, and
     * the 160-byte media before it are eSpeak NG's rendering of that translation. Returns the marks.
     */
    private static int assertHears(SocketClient ws, TwilioStream leg, List<JsonNode> events, String speaker, String language)
            throws Exception {
        ByteArrayOutputStream played = new ByteArrayOutputStream();
        int marks = 0;
        for (JsonNode m : ws.received()) {
            String event = m.path("event").asText();
            assertEquals(leg.streamSid, m.path("streamSid").asText());
            if (event.equals("media")) {
                byte[] payload = Base64.getDecoder().decode(m.path("media").path("payload").asText());
                assertEquals(160, payload.length);
                played.writeBytes(payload);
            } else if (event.equals("mark")) {
                String item = m.path("mark").path("name").asText();
                JsonNode translation = Archives.ofType(events, "translation.final").stream()
                        .filter(t -> t.path("item_id").asText().equals(item)).findFirst().orElseThrow();
                assertEquals(speaker, translation.path("channel").asText(), "the " + leg.streamSid + " leg hears the other party");
                assertEquals(language, translation.path("language").asText());
                double similarity = Envelopes.correlation(Envelopes.of(Envelopes.decodeMulaw(played.toByteArray())),
                        Envelopes.of(Envelopes.espeakAt8k(translation.path("text").asText(), language)), 5);
                assertTrue(similarity >= 0.9, "playback of " + item + " matches eSpeak NG's rendering: " + similarity);
                played.reset();
                marks++;
            } else {
                assertEquals("clear", event);
            }
        }
        assertTrue(marks > 0);
        return marks;
    }

    private static Map<String, String> with(Map<String, String> base, String... keyValues) {
        Map<String, String> params = new LinkedHashMap<>(base);
        for (int i = 0; i < keyValues.length; i += 2) {
            params.put(keyValues[i], keyValues[i + 1]);
        }
        return params;
    }

    @Test
    void aBidirectionalStreamHearsTheTranslationAsMulawMediaThenAMarkAndIsClearedOnBargeIn() throws Exception {
        LibriVox.Recording first = LibriVox.get("0880");
        LibriVox.Recording second = LibriVox.get("0930");
        try (SocketClient ws = connect()) {
            TwilioStream s = new TwilioStream(ws, "bidi");
            s.start(List.of("inbound"), Map.of("playback", "true", "customer_targets", "es"));
            s.audio(Map.of("inbound", concat(Telephone.mulaw(first), silence(1000))), 2);
            JsonNode mark = ws.await(m -> m.path("event").asText().equals("mark"), Duration.ofSeconds(30));
            String item = mark.path("mark").path("name").asText();
            ByteArrayOutputStream played = new ByteArrayOutputStream();
            for (JsonNode m : ws.received()) {
                if (m == mark) {
                    break;
                }
                assertEquals("media", m.path("event").asText());
                assertEquals(s.streamSid, m.path("streamSid").asText());
                byte[] payload = Base64.getDecoder().decode(m.path("media").path("payload").asText());
                assertEquals(160, payload.length);
                played.writeBytes(payload);
            }
            // Keep talking, as a caller does over the translation: Parley clears what it queued.
            s.audio(Map.of("inbound", concat(Telephone.mulaw(second), silence(600))), 1);
            ws.await(m -> m.path("event").asText().equals("clear") && m.path("streamSid").asText().equals(s.streamSid),
                    Duration.ofSeconds(10));
            s.stop();
            ws.awaitClose(Duration.ofSeconds(30));
            Path folder = Archives.await(parley.archive(), "call_sid", s.callSid, Duration.ofSeconds(10));
            JsonNode translation = Archives.ofType(Archives.transcript(folder), "translation.final").stream()
                    .filter(t -> t.path("item_id").asText().equals(item)).findFirst().orElseThrow();
            String text = translation.path("text").asText();
            byte[] mulaw = played.toByteArray();
            short[] reference = Envelopes.espeakAt8k(text, "es");
            long playedMs = mulaw.length / 8;
            long espeakMs = reference.length / 8;
            double[] heard = Envelopes.of(Envelopes.decodeMulaw(mulaw));
            double same = Envelopes.correlation(heard, Envelopes.of(reference), 5);
            double other = Envelopes.correlation(heard, Envelopes.of(Envelopes.espeakAt8k(OTHER_SENTENCE, "es")), 5);
            System.out.printf("Playback of '%s': %d ms of mu-law (eSpeak NG: %d ms); envelope correlation %.3f,"
                    + " with '%s' %.3f%n", text, playedMs, espeakMs, same, OTHER_SENTENCE, other);
            // The last frame is padded with silence: up to 20 ms more than the speech.
            assertTrue(Math.abs(playedMs - espeakMs) <= espeakMs * 0.05, playedMs + " ms played, eSpeak NG " + espeakMs + " ms");
            assertTrue(same >= 0.9, "the call hears eSpeak NG's rendering of the translation: envelope correlation " + same);
            assertTrue(other <= 0.5, "a different sentence does not pass for it: envelope correlation " + other);
        }
    }

    @Test
    void anUpgradeWithoutAValidSignatureIsRefusedWith403() {
        for (Map<String, String> headers : List.of(Map.<String, String>of(),
                Map.of("X-Twilio-Signature", TwilioSignature.sign("another-token", "wss://127.0.0.1:" + parley.port() + "/twilio/media")),
                Map.of("X-Twilio-Signature", TwilioSignature.sign(TOKEN, "wss://example.com/twilio/media")),
                // Twilio signs the wss:// URL: an https:// one is not its signature of this stream.
                Map.of("X-Twilio-Signature", TwilioSignature.sign(TOKEN, "https://127.0.0.1:" + parley.port() + "/twilio/media")))) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> SocketClient.connect(uri(), headers));
            WebSocketHandshakeException h = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
            assertEquals(403, h.getResponse().statusCode());
        }
    }

    @Test
    void mediaBeforeStartClosesTheStreamWith1008() throws Exception {
        try (SocketClient ws = connect()) {
            TwilioStream s = new TwilioStream(ws, "early");
            s.media("inbound", silence(20));
            assertEquals(1008, ws.awaitClose(Duration.ofSeconds(10)));
        }
        try (SocketClient ws = connect()) {
            ws.send("this is not json");
            assertEquals(1008, ws.awaitClose(Duration.ofSeconds(10)));
        }
    }

    @Test
    void faultsAfterStartAreErrorsOfTheSessionWhichGoesOn() throws Exception {
        try (SocketClient ws = connect()) {
            TwilioStream s = new TwilioStream(ws, "faults");
            s.start(List.of("inbound"), Map.of("customer_targets", ""));
            s.media("inbound", silence(20));
            ws.send("{not json");
            s.start(List.of("inbound"), Map.of());  // connected after start, and a second start
            ws.send(Map.of("event", "media", "sequenceNumber", "2", "streamSid", s.streamSid,
                    "media", Map.of("track", "inbound", "payload", "")));      // a repeated sequenceNumber
            ws.send(Map.of("event", "hangup", "sequenceNumber", Long.toString(++s.seq)));
            s.media("outbound", silence(20));                                  // a track the stream did not start with
            ws.send(Map.of("event", "media", "sequenceNumber", Long.toString(++s.seq), "streamSid", "MZother",
                    "media", Map.of("track", "inbound", "payload", "")));
            ws.send(Map.of("event", "media", "sequenceNumber", Long.toString(++s.seq), "streamSid", s.streamSid,
                    "media", Map.of("track", "inbound", "payload", "!!notbase64")));
            s.media("inbound", silence(20));
            s.stop();
            assertEquals(1000, ws.awaitClose(Duration.ofSeconds(20)));
            Path folder = Archives.await(parley.archive(), "call_sid", s.callSid, Duration.ofSeconds(10));
            List<JsonNode> events = Archives.transcript(folder);
            List<String> codes = new ArrayList<>();
            Archives.ofType(events, "error").forEach(e -> codes.add(e.path("code").asText()));
            assertEquals(List.of("invalid_json", "unexpected_message", "unexpected_message", "out_of_order", "unknown_type", "invalid_message",
                    "invalid_message", "invalid_audio"), codes);
            JsonNode closed = Archives.ofType(events, "session.closed").get(0);
            assertEquals("stop", closed.path("reason").asText());
            assertEquals(320, closed.path("audio").path("customer").path("bytes").asLong(), closed.toString());
        }
    }
}
