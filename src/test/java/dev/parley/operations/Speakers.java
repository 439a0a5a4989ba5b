package dev.parley.operations;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Sessions of {@code /v1/listen} as people talking: each streams the five LibriVox recordings one after
 * another (from its own first one, 500 ms of silence after each) at real-time pace in 40 ms frames of
 * 24 kHz PCM16, as the browser page does, then ends its input and waits for {@code session.closed}.
 */
final class Speakers {

    static final int RATE = 24000;
    private static final int FRAME = RATE * 2 / 25;

    /** What one session streamed and received. */
    record Talk(List<LibriVox.Recording> said, ListenClient client, long startedNanos, long maxLagMs) {

        /** Seconds into the session of each {@code overloaded} error. */
        List<Double> overloadedAt() {
            return client.events().stream().filter(e -> e.type().equals("error")
                    && e.json().path("code").asText().equals("overloaded"))
                    .map(e -> (e.atNanos() - startedNanos) / 1e9).toList();
        }

        /** {@code overloaded} errors received. */
        long overloaded() {
            return client.events("error").stream().filter(e -> e.path("code").asText().equals("overloaded")).count();
        }

        /** Audio the recognizer dropped, as {@code session.closed} reports it. */
        long droppedBytes() {
            List<JsonNode> closed = client.events("session.closed");
            return closed.isEmpty() ? -1 : closed.get(0).path("audio").path("speaker").path("dropped_bytes").asLong();
        }

        /** The finals' text, in order. */
        String heard() {
            StringBuilder text = new StringBuilder();
            client.events("transcript.final").forEach(e -> text.append(e.path("text").asText()).append(' '));
            return text.toString().trim();
        }

        String reference() {
            StringBuilder text = new StringBuilder();
            said.forEach(r -> text.append(r.transcript()).append(' '));
            return text.toString().trim();
        }
    }

    private Speakers() {
    }

    /** The recordings from {@code first} on, cycling, {@code count} of them. */
    static List<LibriVox.Recording> recordings(int first, int count) {
        List<LibriVox.Recording> all = LibriVox.recordings();
        List<LibriVox.Recording> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(all.get((first + i) % all.size()));
        }
        return out;
    }

    /** The recordings at 24 kHz, each followed by 500 ms of silence. */
    static byte[] audio(List<LibriVox.Recording> recordings) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (LibriVox.Recording r : recordings) {
            out.writeBytes(r.at(RATE).pcm());
            out.writeBytes(new byte[RATE]);
        }
        return out.toByteArray();
    }

    /** One session that says {@code recordings} to the address {@code uri} gives, start to end. */
    static Talk talk(Callable<URI> uri, List<LibriVox.Recording> recordings, Duration closeWithin) throws Exception {
        return talk(uri, recordings, audio(recordings), closeWithin);
    }

    private static Talk talk(Callable<URI> uri, List<LibriVox.Recording> recordings, byte[] audio, Duration closeWithin)
            throws Exception {
        ListenClient client = ListenClient.connect(uri.call());
        long started = System.nanoTime();
        long maxLag = 0;
        for (int off = 0; off < audio.length; off += FRAME) {
            long due = started + (long) (off * 1e9 / (RATE * 2));
            long now = System.nanoTime();
            if (due > now) {
                Thread.sleep((due - now) / 1_000_000, (int) ((due - now) % 1_000_000));
            } else {
                maxLag = Math.max(maxLag, (now - due) / 1_000_000);
            }
            client.sendAudio(java.util.Arrays.copyOfRange(audio, off, Math.min(audio.length, off + FRAME)));
        }
        client.endInput();
        client.await("session.closed", closeWithin);
        return new Talk(recordings, client, started, maxLag);
    }

    /** {@code n} sessions at once, session i starting with recording i; each says {@code count} recordings. */
    static List<Talk> atOnce(int n, Callable<URI> uri, Duration closeWithin, int count) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(n);
        try {
            List<Future<Talk>> running = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                List<LibriVox.Recording> said = recordings(i, count);
                byte[] audio = audio(said); // before any session starts: sox converts once, here
                running.add(threads.submit(() -> talk(uri, said, audio, closeWithin)));
            }
            List<Talk> talks = new ArrayList<>();
            for (Future<Talk> f : running) {
                talks.add(f.get());
            }
            return talks;
        } finally {
            threads.shutdownNow();
        }
    }
}
