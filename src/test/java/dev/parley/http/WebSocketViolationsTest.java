package dev.parley.http;

import dev.parley.testing.ParleyServer;
import dev.parley.testing.RawSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.parley.testing.RawSocket.BINARY;
import static dev.parley.testing.RawSocket.CLOSE;
import static dev.parley.testing.RawSocket.CONTINUATION;
import static dev.parley.testing.RawSocket.PING;
import static dev.parley.testing.RawSocket.TEXT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WebSocket protocol violations on every endpoint, written by hand over a plain socket: each is
 * answered with the close code RFC 6455 gives (1002 protocol error, 1009 too big), not a bare TCP
 * close. 11 violations on 4 endpoints, one connection each.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebSocketViolationsTest {

    static final List<String> ENDPOINTS = List.of("/v1/listen", "/v1/realtime?intent=transcription", "/twilio/media", "/audiohook");

    private static ParleyServer parley;

    @BeforeAll
    static void start() throws Exception {
        // No credentials, so every endpoint upgrades a bare client; no recognizer, nothing to warm.
        parley = ParleyServer.start(Map.of("parley.auth.required", "false", "parley.recognizer", "none",
                "parley.translation.enabled", "false", "parley.tts.enabled", "false", "parley.webhooks.enabled", "false"));
    }

    @AfterAll
    static void stop() {
        if (parley != null) {
            parley.close();
        }
    }

    interface Violation {
        void send(RawSocket s) throws Exception;
    }

    private static byte[] closePayload(int code) {
        return ByteBuffer.allocate(2).putShort((short) code).array();
    }

    static Map<String, Violation> violations() {
        Map<String, Violation> v = new LinkedHashMap<>();
        v.put("a frame over 1 MiB", s -> s.frameHeader(0x80 | BINARY, (1 << 20) + 1));
        v.put("RSV1 without an extension", s -> s.frame(0x80 | 0x40 | TEXT, "{}".getBytes(), true));
        v.put("RSV2", s -> s.frame(0x80 | 0x20 | TEXT, "{}".getBytes(), true));
        v.put("RSV3", s -> s.frame(0x80 | 0x10 | BINARY, new byte[2], true));
        v.put("reserved data opcode 3", s -> s.frame(0x80 | 0x3, new byte[2], true));
        v.put("reserved control opcode 0xB", s -> s.frame(0x80 | 0xB, new byte[0], true));
        v.put("an unmasked client frame", s -> s.frame(0x80 | TEXT, "{}".getBytes(), false));
        v.put("close code 999", s -> s.frame(0x80 | CLOSE, closePayload(999), true));
        v.put("close code 1005", s -> s.frame(0x80 | CLOSE, closePayload(1005), true));
        v.put("a ping of 200 bytes", s -> s.frame(0x80 | PING, new byte[200], true));
        v.put("a continuation with no message", s -> s.frame(0x80 | CONTINUATION, new byte[2], true));
        return v;
    }

    @Test
    void everyViolationOnEveryEndpointIsAnsweredWithItsCloseCode() throws Exception {
        List<String> wrong = new ArrayList<>();
        int connections = 0;
        for (String endpoint : ENDPOINTS) {
            for (Map.Entry<String, Violation> violation : violations().entrySet()) {
                int expected = violation.getKey().contains("over 1 MiB") ? 1009 : 1002;
                connections++;
                try (RawSocket s = RawSocket.webSocket(parley.port(), endpoint, Map.of())) {
                    violation.getValue().send(s);
                    int code = s.awaitClose(Duration.ofSeconds(10));
                    if (code != expected) {
                        wrong.add(endpoint + ", " + violation.getKey() + ": " + (code == RawSocket.NO_CLOSE_FRAME
                                ? "no close frame" : "close " + code) + " where " + expected + " was due");
                    }
                    assertTrue(s.closedByServer(Duration.ofSeconds(10)), "the server closes the connection after it");
                }
            }
        }
        assertEquals(44, connections);
        assertEquals(List.of(), wrong);
        assertEquals(200, parley.get("/observe/health/live").statusCode(), "the server goes on serving");
    }

    @Test
    void aWellFormedCloseIsStillEchoed() throws Exception {
        for (String endpoint : ENDPOINTS) {
            try (RawSocket s = RawSocket.webSocket(parley.port(), endpoint, Map.of())) {
                s.frame(true, CLOSE, closePayload(1000));
                assertEquals(1000, s.awaitClose(Duration.ofSeconds(10)), endpoint);
            }
        }
    }
}
