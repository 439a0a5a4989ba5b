package dev.parley.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.audio.G711;
import dev.parley.audio.Pcm16;
import dev.parley.telephony.twilio.TwilioSignature;
import dev.parley.testing.BoundWebSocket;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tokens are free, so connections that send nothing must not lock anyone out: 50 silent anonymous
 * sockets, each from its own loopback address (so no bound per address could help), and an
 * API-key session and a Twilio call from 127.0.0.1 still get recognizers at once.
 */
@Timeout(240)
class IdleSocketsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String API_KEY = "api-key-of-a-server-side-client";
    private static final String TWILIO_TOKEN = "twilio-auth-token-for-tests";
    private static final int IDLE = 50;

    /**
     * The defaults a deployment has (8 decoders, 2 of them for trusted sessions; 100 sessions, 10 of
     * them for trusted sessions; 4 connections with a token per address), but for the credentials: the
     * limits under test are not raised as they are for other tests. Idle sockets are not ended by the
     * idle timeout while the test runs, as if they were renewed: the worst case.
     */
    private static Map<String, String> production() {
        return Map.of("parley.auth.api-keys", API_KEY, "parley.twilio.auth-token", TWILIO_TOKEN,
                "parley.auth.max-anonymous-per-address", "4", "parley.session.max-ahead-ms", "2000",
                "parley.recognizer.pocketsphinx.warm-decoders", "8", "parley.session.idle-timeout-s", "600");
    }

    @Test
    void fiftyIdleAnonymousSocketsLeaveAnApiKeySessionAndATwilioCallTheirRecognizers() throws Exception {
        try (ParleyServer parley = ParleyServer.start(production())) {
            List<BoundWebSocket> idle = openIdle(parley, IDLE, 1);
            try {
                int created = 0;
                for (BoundWebSocket ws : idle) {
                    created += created(ws) ? 1 : 0;
                }
                System.out.printf("%d idle anonymous sockets from %d addresses: %d sessions created, %d refused%n",
                        IDLE, IDLE, created, IDLE - created);
                assertEquals(IDLE, created, "silent sockets are sessions, refused nothing: they hold no decoder");

                byte[] speech = LibriVox.get("0870").at(16000).pcm();
                ExecutorService both = Executors.newFixedThreadPool(2);
                Future<Double> apiKey = both.submit(() -> apiKeySession(parley, speech));
                Future<Double> twilio = both.submit(() -> twilioCall(parley, "CAidle"));
                double apiFirstPartial = apiKey.get();
                double twilioFirst = twilio.get();
                both.shutdown();
                System.out.printf("beside %d idle anonymous sockets: API-key session's first partial %.2f s after its"
                        + " audio began; Twilio call's first final %.2f s after its audio began%n",
                        IDLE, apiFirstPartial, twilioFirst);
                for (BoundWebSocket ws : idle) {
                    assertFalse(ws.isClosed(), "an idle socket is ended by its idle timeout only");
                }
            } finally {
                idle.forEach(BoundWebSocket::close);
            }
        }
    }

    /**
     * One address holds at most 4 WebSockets with a token, on /v1/listen and /v1/realtime together: one
     * more is closed with 4429 (a refused /v1/realtime upgrade gets 429), until one of them closes. API
     * keys do not count.
     */
    @Test
    void oneAddressHoldsAtMostFourConnectionsWithATokenButAnyWithAnApiKey() throws Exception {
        try (ParleyServer parley = ParleyServer.start(production())) {
            List<BoundWebSocket> four = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    BoundWebSocket ws = BoundWebSocket.connect(parley.ws("/v1/listen?record=false"), "127.0.0.2", Map.of());
                    ws.await("session.created", WAIT);
                    four.add(ws);
                }
                try (BoundWebSocket fifth = BoundWebSocket.connect(parley.ws("/v1/listen?record=false"), "127.0.0.2", Map.of())) {
                    assertEquals(4429, fifth.awaitClose(WAIT));
                    assertTrue(fifth.closeReason().contains("parley.auth.max-anonymous-per-address=4"), fifth.closeReason());
                }
                java.io.IOException realtime = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                        () -> BoundWebSocket.connect(parley.ws("/v1/realtime?intent=transcription"), "127.0.0.2", Map.of()));
                assertTrue(realtime.getMessage().contains(" 429"), realtime.getMessage());
                try (BoundWebSocket apiKey = BoundWebSocket.connect(parley.wsWithoutToken("/v1/listen?record=false"), "127.0.0.2",
                        Map.of("Authorization", "Bearer " + API_KEY));
                     BoundWebSocket elsewhere = BoundWebSocket.connect(parley.ws("/v1/listen?record=false"), "127.0.0.3", Map.of())) {
                    apiKey.await("session.created", WAIT);
                    elsewhere.await("session.created", WAIT);
                }
                four.remove(0).close();
                // The closed one is counted out as its connection closes: a new one gets in.
                long deadline = System.nanoTime() + WAIT.toNanos();
                BoundWebSocket again;
                do {
                    again = BoundWebSocket.connect(parley.ws("/v1/listen?record=false"), "127.0.0.2", Map.of());
                    four.add(again);
                    awaitAnswers(List.of(again));
                    Thread.sleep(100);
                } while (again.isClosed() && System.nanoTime() < deadline);
                again.await("session.created", WAIT);
            } finally {
                four.forEach(BoundWebSocket::close);
            }
        }
    }

    /**
     * Session slots: of 6, 2 are for API keys and telephony. Silent sessions with tokens take 4, a
     * fifth is refused with capacity, and API-key sessions still open, up to the limit.
     */
    @Test
    void sessionsWithATokenCannotTakeTheSlotsReservedForApiKeysAndTelephony() throws Exception {
        Map<String, String> settings = new java.util.HashMap<>(production());
        settings.put("parley.session.max-sessions", "6");
        settings.put("parley.session.reserved-for-trusted", "2");
        try (ParleyServer parley = ParleyServer.start(settings)) {
            List<BoundWebSocket> idle = openIdle(parley, 5, 1);
            List<ListenClient> keyed = new ArrayList<>();
            try {
                // Read what each was sent, not whether it is closed yet: the refusal's error comes before its close.
                List<BoundWebSocket> created = idle.stream().filter(IdleSocketsTest::created).toList();
                assertEquals(4, created.size());
                BoundWebSocket refused = idle.stream().filter(ws -> !created(ws)).findFirst().orElseThrow();
                assertEquals(1013, refused.awaitClose(WAIT));
                JsonNode error = refused.received().stream().filter(m -> m.path("type").asText().equals("error")).findFirst().orElseThrow();
                assertEquals("capacity", error.path("code").asText());
                assertTrue(error.path("message").asText().contains("parley.session.reserved-for-trusted"), error.toString());
                for (int i = 0; i < 3; i++) {
                    keyed.add(ListenClient.connect(parley.wsWithoutToken("/v1/listen?record=false"),
                            Map.of("Authorization", "Bearer " + API_KEY)));
                }
                keyed.get(0).await("session.created", WAIT);
                keyed.get(1).await("session.created", WAIT);
                assertEquals("capacity", keyed.get(2).await("error", WAIT).json().path("code").asText(),
                        "the limit of all sessions still holds");
            } finally {
                idle.forEach(BoundWebSocket::close);
                keyed.forEach(ListenClient::close);
            }
        }
    }

    /**
     * The measure: idle anonymous sockets are opened from 50 addresses, as many per address as the
     * bound lets through, and after each step an API-key client speaks: how many idle sockets does
     * it take before it is refused? (It should never be.)
     */
    @Test
    void howManyIdleAnonymousSocketsItTakesToRefuseAnApiKeyClient() throws Exception {
        int[] steps = {8, 50, 91, 200};
        byte[] speech = LibriVox.get("0880").at(16000).pcm();
        List<BoundWebSocket> idle = new ArrayList<>();
        try (ParleyServer parley = ParleyServer.start(production())) {
            int opened = 0;
            String refusedAt = "never";
            for (int step : steps) {
                // 127.0.0.2 ... 127.0.0.51 in turn, so each address holds at most 4 of the 200
                for (; opened < step; opened++) {
                    String address = "127.0.0." + (2 + opened % IDLE);
                    idle.add(BoundWebSocket.connect(parley.ws("/v1/listen?rate=16000&record=false"), address, Map.of()));
                }
                awaitAnswers(idle);
                long held = idle.stream().filter(ws -> !ws.isClosed() && ws.received().stream()
                        .anyMatch(m -> m.path("type").asText().equals("session.created"))).count();
                String outcome = probe(parley, speech);
                System.out.printf("%3d idle anonymous sockets opened, %3d held open: API-key client %s%n", opened, held, outcome);
                if (!outcome.equals("recognised")) {
                    refusedAt = opened + " (" + held + " held open)";
                    break;
                }
            }
            System.out.println("Idle anonymous sockets it takes to refuse an API-key client: " + refusedAt);
            assertEquals("never", refusedAt);
        } finally {
            idle.forEach(BoundWebSocket::close);
        }
    }

    /** An API-key client speaks for 3 s: "recognised", or what it got instead. */
    private static String probe(ParleyServer parley, byte[] speech) throws Exception {
        try (ListenClient client = ListenClient.connect(parley.wsWithoutToken("/v1/listen?rate=16000&record=false"),
                Map.of("Authorization", "Bearer " + API_KEY))) {
            try {
                client.stream(speech, 3200, 32000, true);
                client.endInput();
                client.await("session.closed", WAIT);
            } catch (Exception | AssertionError closedEarly) {
                // refused: the server closed the socket
            }
            List<JsonNode> errors = client.events("error");
            if (!errors.isEmpty()) {
                return "refused: " + errors.get(0).path("code").asText() + " (" + errors.get(0).path("message").asText() + ")";
            }
            return client.events("transcript.final").isEmpty() ? "not recognised" : "recognised";
        }
    }

    private static boolean created(BoundWebSocket ws) {
        return ws.received().stream().anyMatch(m -> m.path("type").asText().equals("session.created"));
    }

    private static void awaitAnswers(List<BoundWebSocket> sockets) throws InterruptedException {
        for (BoundWebSocket ws : sockets) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!ws.isClosed() && ws.received().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
    }

    /**
     * {@code count} idle anonymous sockets, {@code perAddress} from each address of 127.0.0.2 on, each
     * with a token of its own; waits until each has been answered (session.created or a refusal).
     */
    static List<BoundWebSocket> openIdle(ParleyServer parley, int count, int perAddress) throws Exception {
        ExecutorService opening = Executors.newFixedThreadPool(8);
        List<Future<BoundWebSocket>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String address = "127.0.0." + (2 + i / perAddress);
            futures.add(opening.submit(() -> BoundWebSocket.connect(parley.ws("/v1/listen?rate=16000&record=false"), address, Map.of())));
        }
        List<BoundWebSocket> open = new ArrayList<>();
        for (Future<BoundWebSocket> f : futures) {
            open.add(f.get());
        }
        opening.shutdown();
        awaitAnswers(open);
        return open;
    }

    /** Streams speech at real time with an API key; seconds from its first audio to its first partial. */
    static double apiKeySession(ParleyServer parley, byte[] speech) throws Exception {
        try (ListenClient client = ListenClient.connect(parley.wsWithoutToken("/v1/listen?rate=16000&record=false"),
                Map.of("Authorization", "Bearer " + API_KEY))) {
            client.await("session.created", WAIT);
            long began = System.nanoTime();
            client.stream(speech, 3200, 32000, true);
            client.endInput();
            client.await("session.closed", WAIT);
            // What this proves is a decoder at once: no capacity error. (An overloaded one would say the
            // machine is short of CPU, which a loaded test machine may be; it is not what is tested here.)
            assertTrue(client.events("error").stream().noneMatch(e -> e.path("code").asText().equals("capacity")),
                    "a decoder at once, no capacity error: " + client.events("error"));
            assertFalse(client.events("transcript.final").isEmpty());
            long partial = client.events().stream().filter(r -> r.type().equals("transcript.partial"))
                    .mapToLong(ListenClient.Received::atNanos).min().orElseThrow();
            return (partial - began) / 1e9;
        }
    }

    /**
     * A Twilio call (one inbound track, signed, from 127.0.0.1) saying a recording at real time;
     * seconds from its first audio to its first final, read from the session's archive.
     */
    static double twilioCall(ParleyServer parley, String callSid) throws Exception {
        byte[] narrow = LibriVox.get("0890").at(8000).pcm();
        short[] pcm = Pcm16.littleEndianToShorts(narrow, 0, narrow.length);
        byte[] mulaw = G711.encode(pcm, 0, pcm.length);
        String url = "wss://127.0.0.1:" + parley.port() + "/twilio/media";
        java.time.Instant began;
        try (BoundWebSocket ws = BoundWebSocket.connect(parley.wsWithoutToken("/twilio/media"), "127.0.0.1",
                Map.of("X-Twilio-Signature", TwilioSignature.sign(TWILIO_TOKEN, url)))) {
            String streamSid = "MZ" + callSid;
            ws.sendText(JSON.writeValueAsString(Map.of("event", "connected", "protocol", "Call", "version", "1.0.0")));
            ObjectNode start = JSON.createObjectNode().put("event", "start").put("sequenceNumber", "1").put("streamSid", streamSid);
            ObjectNode s = start.putObject("start").put("accountSid", "AC0").put("streamSid", streamSid).put("callSid", callSid);
            s.putArray("tracks").add("inbound");
            s.putObject("mediaFormat").put("encoding", "audio/x-mulaw").put("sampleRate", 8000).put("channels", 1);
            ws.sendText(start.toString());
            began = java.time.Instant.now();
            long t0 = System.nanoTime();
            int seq = 1;
            for (int off = 0, chunk = 1; off < mulaw.length + 8000; off += 160, chunk++) {
                byte[] frame = new byte[160];
                java.util.Arrays.fill(frame, (byte) 0xFF); // a second of silence after the speech
                if (off < mulaw.length) {
                    System.arraycopy(mulaw, off, frame, 0, Math.min(160, mulaw.length - off));
                }
                ObjectNode m = JSON.createObjectNode().put("event", "media").put("sequenceNumber", Integer.toString(++seq))
                        .put("streamSid", streamSid);
                m.putObject("media").put("track", "inbound").put("chunk", Integer.toString(chunk))
                        .put("timestamp", Integer.toString((chunk - 1) * 20)).put("payload", Base64.getEncoder().encodeToString(frame));
                ws.sendText(m.toString());
                long wait = t0 + (off + 160) * 1_000_000_000L / 8000 - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
            ObjectNode stop = JSON.createObjectNode().put("event", "stop").put("sequenceNumber", Integer.toString(++seq))
                    .put("streamSid", streamSid);
            stop.putObject("stop").put("accountSid", "AC0").put("callSid", callSid);
            ws.sendText(stop.toString());
            assertEquals(1000, ws.awaitClose(WAIT), "the call ends as Twilio ended it, not refused: " + ws.closeReason());
        }
        List<JsonNode> events = archived(parley.archive(), callSid);
        List<JsonNode> errors = events.stream().filter(e -> e.path("type").asText().equals("error")).toList();
        assertTrue(errors.stream().noneMatch(e -> e.path("code").asText().equals("capacity")),
                "a decoder at once, no capacity error: " + errors);
        assertTrue(events.stream().anyMatch(e -> e.path("type").asText().equals("transcript.final")), "the call was transcribed");
        JsonNode first = events.stream().filter(e -> e.path("type").asText().startsWith("transcript.")).findFirst().orElseThrow();
        return Duration.between(began, java.time.Instant.parse(first.path("emitted_at").asText())).toMillis() / 1000.0;
    }

    /** The transcript.jsonl of the session whose call.json has this call_sid, once the session has closed. */
    static List<JsonNode> archived(Path root, String callSid) throws Exception {
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
                    if (callSid.equals(json.path("metadata").path("call_sid").asText()) && json.has("ended_at")) {
                        List<JsonNode> events = new ArrayList<>();
                        for (String line : Files.readAllLines(call.resolveSibling("transcript.jsonl"))) {
                            events.add(JSON.readTree(line));
                        }
                        return events;
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no closed archive of call " + callSid);
    }

}
