package dev.parley.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.BoundWebSocket;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A session's backlog is its own: seven sessions sending audio at ten times real time, beside one
 * speaking at real time, are dropped and told so, and the one at real time gets its finals as soon
 * as when it is alone, and loses nothing; nor does it after they have gone. Measured in one run:
 * alone, beside the fast senders, and right after they disconnected.
 */
@Timeout(300)
class FastSendersTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int FAST = 7;
    private static final double SPEED = 10;
    private static final int RATE = 16000;
    private static final int FRAME_MS = 40;

    /** What one run of the real-time session saw. */
    record Run(String phase, List<Double> lags, double endLag, long dropped, int finals) {
        double p95() {
            List<Double> sorted = lags.stream().sorted().toList();
            return sorted.get((int) Math.ceil(sorted.size() * 0.95) - 1);
        }

        @Override
        public String toString() {
            return String.format("%-28s %2d finals, lag from the end of an utterance's audio to its final: p95 %.2f s"
                    + " (each: %s); from input_audio.end to the last final %.2f s; audio dropped %d bytes",
                    phase, finals, p95(), lags.stream().map(l -> String.format("%.2f", l)).toList(), endLag, dropped);
        }
    }

    @Test
    void sevenSessionsAtTenTimesRealTimeDoNotSlowASessionAtRealTime() throws Exception {
        // Defaults (the burst allowed ahead of real time too), but every decoder warm and none reserved
        // for API keys and telephony: eight sessions with tokens speak at once.
        try (ParleyServer parley = ParleyServer.start(Map.of("parley.recognizer.pocketsphinx.warm-decoders", "8",
                "parley.recognizer.pocketsphinx.reserved-for-trusted", "0", "parley.session.max-ahead-ms", "2000"))) {
            byte[] speech = speech("0870", "0890", "0920");
            // The recognizer learns the cepstral mean of 16 kHz audio from a first session: then
            // every run below starts from the same prior.
            System.out.println(realTime(parley, speech("0880", "0930"), "warm-up"));
            Run alone = realTime(parley, speech, "alone");
            System.out.println(alone);

            List<FastSender> fast = new ArrayList<>();
            for (int i = 0; i < FAST; i++) {
                fast.add(new FastSender(parley, "127.0.0." + (2 + i), speech));
            }
            fast.forEach(FastSender::start);
            Thread.sleep(3000);
            Run beside;
            try {
                beside = realTime(parley, speech, "beside " + FAST + " at " + (int) SPEED + "x real time");
            } finally {
                fast.forEach(FastSender::stop);
            }
            System.out.println(beside);
            long overloaded = fast.stream().filter(f -> f.errors("overloaded") > 0).count();
            System.out.printf("fast senders: %d of %d told overloaded; %.1f s of audio sent each on average%n",
                    overloaded, FAST, fast.stream().mapToLong(f -> f.sent).average().orElse(0) / (RATE * 2.0));

            Run after = realTime(parley, speech, "right after they left");
            System.out.println(after);

            assertEquals(0, beside.dropped(), "nothing of the real-time session's audio is dropped");
            assertEquals(0, after.dropped(), "nor after the fast senders left");
            assertTrue(beside.p95() <= alone.p95() + 0.5, "p95 lag beside them " + beside.p95() + " s, alone " + alone.p95() + " s");
            assertTrue(after.p95() <= alone.p95() + 0.5, "p95 lag after them " + after.p95() + " s, alone " + alone.p95() + " s");
            assertEquals(FAST, overloaded, "each fast sender is told it is overloaded");
        }
    }

    /** The recordings one after another, each followed by a second of silence. */
    private static byte[] speech(String... ids) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String id : ids) {
            out.writeBytes(LibriVox.get(id).at(RATE).pcm());
            out.writeBytes(new byte[RATE * 2]);
        }
        return out.toByteArray();
    }

    /** One session (a token, from 127.0.0.1) sends the speech at real time in 40 ms frames. */
    private static Run realTime(ParleyServer parley, byte[] speech, String phase) throws Exception {
        int frame = RATE * 2 * FRAME_MS / 1000;
        long[] sentAt = new long[(speech.length + frame - 1) / frame];
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=" + RATE))) {
            client.await("session.created", WAIT);
            long start = System.nanoTime();
            for (int i = 0; i < sentAt.length; i++) {
                int off = i * frame;
                client.sendAudio(java.util.Arrays.copyOfRange(speech, off, Math.min(speech.length, off + frame)));
                sentAt[i] = System.nanoTime();
                long wait = start + (i + 1L) * FRAME_MS * 1_000_000 - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
            long ended = System.nanoTime();
            client.endInput();
            JsonNode closed = client.await("session.closed", WAIT).json();
            List<Double> lags = new ArrayList<>();
            long lastFinal = ended;
            for (ListenClient.Received r : client.events()) {
                if (r.type().equals("transcript.final")) {
                    long endMs = r.json().path("end_ms").asLong();
                    int index = (int) Math.min(sentAt.length - 1, Math.max(0, (endMs - 1) / FRAME_MS));
                    lags.add((r.atNanos() - sentAt[index]) / 1e9);
                    lastFinal = r.atNanos();
                }
            }
            assertFalse(lags.isEmpty(), phase + ": no final at all");
            return new Run(phase, lags, Math.max(0, lastFinal - ended) / 1e9,
                    closed.path("audio").path("speaker").path("dropped_bytes").asLong(), lags.size());
        }
    }

    /** A token session from its own address sending the speech over and over at ten times real time. */
    private static final class FastSender {
        private final BoundWebSocket ws;
        private final byte[] speech;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;
        private volatile long sent;

        FastSender(ParleyServer parley, String address, byte[] speech) throws Exception {
            this.ws = BoundWebSocket.connect(parley.ws("/v1/listen?rate=" + RATE), address, Map.of());
            this.speech = speech;
            this.thread = new Thread(this::send, "fast-" + address);
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void send() {
            int frame = RATE * 2 / 10; // 100 ms of audio every 10 ms
            long start = System.nanoTime();
            try {
                for (long i = 0; running.get() && !ws.isClosed(); i++) {
                    int off = (int) (i * frame % (speech.length - frame));
                    ws.sendBinary(java.util.Arrays.copyOfRange(speech, off, off + frame));
                    sent += frame;
                    long wait = start + (long) ((i + 1) * 100_000_000L / SPEED) - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
            } catch (Exception e) {
                // the server or stop() closed the socket
            }
        }

        long errors(String code) {
            return ws.received().stream().filter(m -> m.path("type").asText().equals("error")
                    && m.path("code").asText().equals(code)).count();
        }

        /** Disconnects without ending the input, as a client that goes away does. */
        void stop() {
            running.set(false);
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ws.close();
        }
    }
}
