package dev.parley.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.realtime.ChannelStats;
import dev.parley.realtime.RecognitionChannel;
import dev.parley.session.CallSession;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Audio reaches each recognition stream exactly as its client sent it, in order, with many
 * sessions sending 10 ms frames at once as fast as they can; and the last frames before a close are
 * processed, not lost.
 */
class FrameOrderTest {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int SESSIONS = 6;
    private static ParleyServer parley;

    @BeforeAll
    static void start() throws Exception {
        parley = ParleyServer.start(Map.of("parley.session.max-queued-audio-ms", "600000"));
    }

    @AfterAll
    static void stop() {
        parley.close();
    }

    @Test
    void everyStreamGetsTheBytesItsClientSentInOrder() throws Exception {
        List<Future<ListenClient>> running = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(SESSIONS);
        for (int i = 0; i < SESSIONS; i++) {
            byte[] audio = LibriVox.recordings().get(i % 5).at(16000).pcm();
            running.add(clients.submit(() -> {
                ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=16000"));
                client.stream(audio, 320, 32000, false);
                client.endInput();
                client.await("session.closed", WAIT);
                return client;
            }));
        }
        for (Future<ListenClient> f : running) {
            try (ListenClient client = f.get()) {
                JsonNode audio = client.events("session.closed").get(0).path("audio").path("speaker");
                assertEquals(client.bytesSent(), audio.path("bytes").asLong());
                assertEquals(client.sentDigest(), audio.path("sha256").asText(), "bytes reordered or lost");
            }
        }
        clients.shutdown();
    }

    @Test
    void framesSentJustBeforeTheClientClosesAreStillProcessed() throws Exception {
        List<ListenClient> clients = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=16000"));
            ids.add(client.await("session.created", WAIT).json().path("session_id").asText());
            client.stream(LibriVox.recordings().get(i % 5).at(16000).pcm(), 320, 32000, false);
            client.abort();
            clients.add(client);
        }
        for (int i = 0; i < SESSIONS; i++) {
            CallSession session = parley.sessions().find(ids.get(i)).orElseThrow();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (session.state() != CallSession.State.CLOSED && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(CallSession.State.CLOSED, session.state());
            RecognitionChannel channel = session.channels().iterator().next();
            ChannelStats stats = channel.stats();
            assertEquals(clients.get(i).bytesSent(), stats.bytesProcessed());
            assertEquals(clients.get(i).sentDigest(), stats.sha256());
            assertTrue(stats.bytesDropped() == 0);
            clients.get(i).close();
        }
    }
}
