package dev.parley.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.RawSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.parley.testing.RawSocket.CONTINUATION;
import static dev.parley.testing.RawSocket.TEXT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A whole WebSocket message, fragments included, is bounded on every endpoint by
 * {@code parley.websocket.max-message-bytes} (1 MiB): past it the connection is closed with 1009.
 * The attack of issue 13, a text frame without FIN holding {@code {"type":"} and then 512 KiB
 * continuation frames, is stopped after the first MiB; what the server holds meanwhile is measured.
 * A legitimate large {@code input_audio_buffer.append} (15 s of 24 kHz audio, 0.96 MB) still works.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WebSocketMessageLimitTest {

    private static final int LIMIT = 1 << 20;
    private static final int CHUNK = 512 * 1024;
    /** The attack gives up here: far past the limit, far short of hurting the test JVM. */
    private static final long ATTACK_CAP = 24L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ParleyServer parley;

    @BeforeAll
    static void start() throws Exception {
        // The large append is 15 s of audio sent at once: the recognizer's queue may hold that much.
        parley = ParleyServer.start(Map.of("parley.auth.required", "false", "parley.recognizer", "none",
                "parley.translation.enabled", "false", "parley.tts.enabled", "false", "parley.webhooks.enabled", "false",
                "parley.session.max-queued-audio-ms", "30000"));
    }

    @AfterAll
    static void stop() {
        if (parley != null) {
            parley.close();
        }
    }

    /** Sends the fragmented attack from another thread until the server closes or the cap is reached; returns the close code. */
    private static int attack(RawSocket s, AtomicLong sent) throws Exception {
        Thread writer = new Thread(() -> {
            try {
                s.frame(false, TEXT, "{\"type\":\"".getBytes(StandardCharsets.UTF_8));
                byte[] chunk = new byte[CHUNK];
                Arrays.fill(chunk, (byte) 'a');
                byte[] frame = RawSocket.frameBytes(CONTINUATION, chunk, true); // FIN never set
                while (sent.get() < ATTACK_CAP) {
                    s.write(frame);
                    sent.addAndGet(CHUNK);
                }
            } catch (IOException closedByServer) {
                // the server closed: that is the point
            }
        }, "attack");
        writer.start();
        try {
            return s.awaitClose(Duration.ofSeconds(30));
        } finally {
            s.close();
            writer.join(10_000);
        }
    }

    @Test
    void aFragmentedTextMessageOverTheLimitIsClosedWith1009OnEveryEndpoint() throws Exception {
        for (String endpoint : List.of("/v1/listen", "/v1/realtime?intent=transcription", "/twilio/media", "/audiohook")) {
            AtomicLong sent = new AtomicLong();
            int code;
            try (RawSocket s = RawSocket.webSocket(parley.port(), endpoint, Map.of())) {
                code = attack(s, sent);
            }
            assertEquals(1009, code, endpoint + ": closed after " + sent.get() + " bytes");
            assertTrue(sent.get() < ATTACK_CAP, endpoint + ": the server read the whole " + (ATTACK_CAP >> 20) + " MiB");
        }
        awaitNoSessions();
    }

    /**
     * The memory ceiling: connections each holding a message just under the limit keep about that
     * much each on the heap; over the limit they are closed and it is freed (also from the closed
     * sessions the registry remembers).
     */
    @Test
    void connectionsHoldingMessagesUnderTheLimitCostAboutTheLimitEachUntilClosed() throws Exception {
        int connections = 16;
        long before = heapAfterGc();
        List<RawSocket> sockets = new ArrayList<>();
        try {
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) 'a');
            for (int i = 0; i < connections; i++) {
                RawSocket s = RawSocket.webSocket(parley.port(), "/v1/listen", Map.of());
                sockets.add(s);
                s.frame(false, TEXT, "{\"type\":\"".getBytes(StandardCharsets.UTF_8));
                for (int sent = 16; sent + chunk.length < LIMIT; sent += chunk.length) {
                    s.frame(false, CONTINUATION, chunk);
                }
            }
            Thread.sleep(1000); // the server has read it all
            long held = heapAfterGc() - before;
            System.out.printf("Memory ceiling: %d connections each holding a fragmented text message of %d KiB"
                    + " (limit %d KiB): heap +%.1f MiB, %.2f MiB a connection%n", connections, (LIMIT - chunk.length) / 1024,
                    LIMIT / 1024, held / 1048576.0, held / 1048576.0 / connections);
            assertTrue(held < connections * 4L * LIMIT, "held " + held + " bytes");
            for (RawSocket s : sockets) {
                s.frame(false, CONTINUATION, chunk);   // over the limit
                assertEquals(1009, s.awaitClose(Duration.ofSeconds(10)));
            }
        } finally {
            sockets.forEach(RawSocket::close);
        }
        awaitNoSessions();
        long after = heapAfterGc() - before;
        System.out.printf("After the %d connections were closed with 1009: heap %+.1f MiB%n", connections, after / 1048576.0);
        assertTrue(after < 8L * LIMIT, "freed: " + after);
    }

    @Test
    void aLargeAppendUnderTheLimitIsTakenWholeOrFragmented() throws Exception {
        byte[] audio = new byte[15 * 24000 * 2];   // 15 s of 24 kHz PCM16
        for (int i = 0; i < audio.length; i += 2) {
            audio[i] = (byte) (i * 31);
        }
        byte[] append = ("{\"type\":\"input_audio_buffer.append\",\"audio\":\"" + Base64.getEncoder().encodeToString(audio) + "\"}")
                .getBytes(StandardCharsets.US_ASCII);
        assertTrue(append.length > 900_000 && append.length < LIMIT, "an append of " + append.length + " bytes");
        for (boolean fragmented : List.of(false, true)) {
            try (RawSocket s = RawSocket.webSocket(parley.port(), "/v1/realtime?intent=transcription", Map.of())) {
                if (fragmented) {
                    for (int off = 0; off < append.length; off += 64 * 1024) {
                        int end = Math.min(append.length, off + 64 * 1024);
                        s.frame(end == append.length, off == 0 ? TEXT : CONTINUATION, Arrays.copyOfRange(append, off, end));
                    }
                } else {
                    s.frame(true, TEXT, append);
                }
                s.frame(true, TEXT, "{\"type\":\"input_audio_buffer.clear\"}".getBytes(StandardCharsets.US_ASCII));
                List<String> types = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!types.contains("input_audio_buffer.cleared") && System.nanoTime() < deadline) {
                    RawSocket.Frame f = s.readFrame();
                    assertTrue(f != null && f.opcode() == TEXT, "the connection stays open; so far " + types);
                    JsonNode event = JSON.readTree(f.text());
                    types.add(event.path("type").asText());
                    assertFalse(event.path("type").asText().equals("error"), event.toString());
                }
                assertTrue(types.contains("input_audio_buffer.cleared"), types.toString());
                assertEquals(1, parley.sessions().openSessions(), "the append opened a session");
            }
            awaitNoSessions();
        }
    }

    private static void awaitNoSessions() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (parley.sessions().openSessions() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, parley.sessions().openSessions(), "every session ended");
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
