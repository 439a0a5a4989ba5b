package dev.parley.telephony;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.telephony.audiohook.AudioHookSignature;
import dev.parley.testing.LogCapture;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.RawSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Genesys AudioHook, from a client that means harm: small messages that would make Parley write
 * hours of silence, and signature headers that do not parse.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AudioHookAbuseTest {

    private static final String KEY = "audiohook-api-key";
    private static final String SECRET = Base64.getEncoder().encodeToString("a client secret of 32 bytes!!!!!".getBytes());
    /** Stereo mu-law at 8 kHz: 16,000 bytes a second of the call. */
    private static final long BYTES_A_SECOND = 16_000;

    private static ParleyServer parley;

    @BeforeAll
    static void start() throws Exception {
        parley = ParleyServer.start(Map.of("parley.audiohook.api-keys", KEY, "parley.audiohook.client-secret", SECRET,
                "parley.recognizer", "none", "parley.translation.targets", "es", "parley.tts.enabled", "false",
                "parley.webhooks.enabled", "false"));
    }

    @AfterAll
    static void stop() {
        if (parley != null) {
            parley.close();
        }
    }

    /** An upgrade as Genesys signs it (RFC 9421), with a fresh nonce. */
    static Map<String, String> signedHeaders(int port) {
        Map<String, String> h = new HashMap<>();
        h.put("Audiohook-Organization-Id", "d7934305-0972-4844-938e-9060eef73d05");
        h.put("X-API-KEY", KEY);
        long now = System.currentTimeMillis() / 1000;
        String params = "(\"@request-target\" \"@authority\" \"x-api-key\");keyid=\"" + KEY + "\";nonce=\"" + UUID.randomUUID()
                + "\";alg=\"hmac-sha256\";created=" + now + ";expires=" + (now + 30);
        String base = "\"@request-target\": /audiohook\n\"@authority\": 127.0.0.1:" + port + "\n\"x-api-key\": " + KEY
                + "\n\"@signature-params\": " + params;
        h.put("Signature-Input", "sig1=" + params);
        h.put("Signature", "sig1=:" + Base64.getEncoder().encodeToString(AudioHookSignature.hmac(Base64.getDecoder().decode(SECRET), base)) + ":");
        return h;
    }

    private static AudioHookClient openCall(String conversation) throws Exception {
        SocketClient ws = SocketClient.connect(URI.create("ws://127.0.0.1:" + parley.port() + "/audiohook"), signedHeaders(parley.port()));
        AudioHookClient c = new AudioHookClient(ws);
        c.open(conversation, true);
        return c;
    }

    private static JsonNode disconnect(AudioHookClient c) throws Exception {
        return c.ws.await(m -> m.path("type").asText().equals("disconnect"), Duration.ofSeconds(10));
    }

    private static long audioWavBytes(String conversation) throws Exception {
        Path folder = Archives.await(parley.archive(), "conversation_id", conversation, Duration.ofSeconds(20));
        return Files.size(folder.resolve("audio.wav"));
    }

    @Test
    void pingsWhosePositionJumpsHoursAheadAreAProtocolViolationAndWriteNoSilence() throws Exception {
        String conversation = UUID.randomUUID().toString();
        AudioHookClient c = openCall(conversation);
        try (SocketClient ws = c.ws) {
            for (long hours : new long[]{3600, 7200, 14040}) {   // 1 h, 2 h, 3.9 h: the report's three pings
                c.samples = hours * 8000;
                ws.send(c.message("ping"));
            }
            JsonNode d = disconnect(c);
            assertEquals("error", d.path("parameters").path("reason").asText());
            assertTrue(d.path("parameters").path("info").asText().contains("ahead of the audio received"), d.toString());
            ws.send(c.message("close"));
        }
        long size = audioWavBytes(conversation);
        assertTrue(size < 100_000, "audio.wav holds " + size + " bytes");
    }

    @Test
    void jumpsEachUnderTheBoundCannotRunTheCallAheadOfTheClock() throws Exception {
        String conversation = UUID.randomUUID().toString();
        AudioHookClient c = openCall(conversation);
        try (SocketClient ws = c.ws) {
            c.samples = 50 * 8000;   // 50 s lost: allowed once, this early in the call
            ws.send(c.message("ping"));
            c.expect("pong");
            c.samples += 50 * 8000;  // 50 s more, 1 s into the call: 100 s of call, more than 60 s ahead of the clock
            ws.send(c.message("ping"));
            JsonNode d = disconnect(c);
            assertEquals("error", d.path("parameters").path("reason").asText());
            assertTrue(d.path("parameters").path("info").asText().contains("ahead of the time since 'open'"), d.toString());
            ws.send(c.message("close"));
        }
        long size = audioWavBytes(conversation);
        assertTrue(size <= 50 * BYTES_A_SECOND + 100, "audio.wav holds " + size + " bytes: only the first 50 s of silence");
    }

    @Test
    void aCallThatLosesAndDiscardsSecondsGoesOn() throws Exception {
        String conversation = UUID.randomUUID().toString();
        AudioHookClient c = openCall(conversation);
        try (SocketClient ws = c.ws) {
            c.stream(new byte[8000], new byte[8000]);   // 1 s of audio
            c.samples += 12_000;                        // 1.5 s lost on the way
            ws.send(c.message("ping"));
            c.expect("pong");
            var discarded = c.message("discarded");
            ((com.fasterxml.jackson.databind.node.ObjectNode) discarded.get("parameters"))
                    .put("start", AudioHookClient.duration(c.samples)).put("discarded", "PT2.5S");
            c.samples += 20_000;
            ws.send(discarded);
            ws.send(c.message("ping"));
            c.expect("pong");
            ws.send(c.message("close"));
            c.expect("closed");
            assertTrue(ws.received().stream().noneMatch(m -> m.path("type").asText().equals("disconnect")), ws.received().toString());
        }
        assertEquals(5 * BYTES_A_SECOND, audioWavBytes(conversation) - 58, "1 s of audio and 4 s of silence");
    }

    @Test
    void aSignatureHeaderThatDoesNotParseIs401WithAReasonAndNoStackTrace() throws Exception {
        String ok = signedHeaders(parley.port()).get("Signature-Input");
        Map<String, String> malformed = new java.util.LinkedHashMap<>();
        malformed.put("sig1=(\"@request-target\");created=\"abc\";nonce=\"n\"", "created must be a non-negative integer");
        malformed.put(ok.replaceFirst(";expires=\\d+", ";expires=\"soon\""), "expires must be a non-negative integer");
        malformed.put(ok.replaceFirst("keyid=\"[^\"]*\"", "keyid=12"), "keyid must be a quoted string");
        malformed.put(ok + ";created=1", "parameter created twice");
        malformed.put(ok.replace(")", ""), "is not one signature's inner list");
        malformed.put(ok + ";nonce", "is not one signature's inner list");
        try (LogCapture log = LogCapture.start()) {
            for (Map.Entry<String, String> m : malformed.entrySet()) {
                Map<String, String> headers = signedHeaders(parley.port());
                headers.put("Signature-Input", m.getKey());
                assertRefused(headers, m.getValue());
            }
            Map<String, String> notBase64 = signedHeaders(parley.port());
            notBase64.put("Signature", "sig1=:not*base64:");
            assertRefused(notBase64, "sig1 is not base64");
            Map<String, String> otherLabel = signedHeaders(parley.port());
            otherLabel.put("Signature", otherLabel.get("Signature").replace("sig1=", "sig2="));
            assertRefused(otherLabel, "no byte sequence labelled sig1");
            Thread.sleep(200);
            assertTrue(log.text().contains("Refused an AudioHook upgrade"), "each is logged, in one line: " + log.text());
            assertFalse(log.text().contains("Exception"), log.text());
            assertFalse(log.text().contains("ERROR"), log.text());
        }
    }

    private static void assertRefused(Map<String, String> headers, String reason) throws Exception {
        try (RawSocket s = RawSocket.connect(parley.port())) {
            StringBuilder request = new StringBuilder("GET /audiohook HTTP/1.1\r\nHost: 127.0.0.1:" + parley.port()
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n");
            headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
            s.write(request.append("\r\n").toString());
            String response = s.readResponse();
            assertTrue(response.startsWith("HTTP/1.1 401"), headers.get("Signature-Input") + " -> " + response);
            assertTrue(response.contains(reason), reason + " in " + response);
        }
    }
}
