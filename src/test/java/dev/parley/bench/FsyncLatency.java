package dev.parley.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WebhookReceiver;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What {@code parley.fsync=true} costs in latency: how long after an event is emitted its client has it
 * (the record stage, archive and webhook spool, comes in between), with fsync off and on, in
 * alternating rounds on the same machine. Each round starts a Parley in this JVM with a webhook
 * receiver on loopback (so every final, translation and session.closed also writes a spool file) and
 * runs {@code sessions} sessions at once, each saying the five LibriVox recordings at real-time pace.
 * Run: {@code mvn -q -o test-compile exec:java -Dexec.mainClass=dev.parley.bench.FsyncLatency
 * -Dexec.classpathScope=test -Dexec.args="[sessions] [rounds per setting]"}.
 */
public final class FsyncLatency {

    private static final List<String> TYPES = List.of("transcript.final", "translation.final", "tts.audio", "session.closed");

    public static void main(String[] args) throws Exception {
        int sessions = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Map<Boolean, Map<String, List<Double>>> latency = new TreeMap<>();
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            for (int r = 0; r < 2 * rounds; r++) {
                boolean fsync = r % 2 == 1;
                Map<String, List<Double>> byType = latency.computeIfAbsent(fsync, k -> new TreeMap<>());
                try (ParleyServer parley = ParleyServer.start(Map.of("parley.fsync", Boolean.toString(fsync),
                        "parley.webhooks.urls", receiver.url(), "parley.webhooks.secret", WebhookReceiver.SECRET,
                        "parley.recognizer.pocketsphinx.warm-decoders", Integer.toString(sessions)))) {
                    ExecutorService speakers = Executors.newFixedThreadPool(sessions);
                    List<Future<?>> running = new ArrayList<>();
                    for (int s = 0; s < sessions; s++) {
                        running.add(speakers.submit(() -> {
                            session(parley, byType);
                            return null;
                        }));
                    }
                    for (Future<?> f : running) {
                        f.get();
                    }
                    speakers.shutdown();
                }
            }
        }
        System.out.printf("Setup: %d concurrent /v1/listen sessions x %d rounds per setting (alternating), each the 5 LibriVox"
                        + " recordings back to back, 24 kHz PCM16, 40 ms frames, real-time pace, targets es, speech on,"
                        + " archive on, one webhook URL on loopback; %d cores; Java %s; file system of %s%n",
                sessions, rounds, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                java.nio.file.Files.getFileStore(java.nio.file.Path.of("target")).type());
        System.out.println("Emitted (emitted_at) to received by the client, ms: p50 / p95 / max (n)");
        for (String type : TYPES) {
            System.out.printf("  %-18s fsync off %s   fsync on %s%n", type, stats(latency.get(false).get(type)),
                    stats(latency.get(true).get(type)));
        }
    }

    private static void session(ParleyServer parley, Map<String, List<Double>> byType) throws Exception {
        java.io.ByteArrayOutputStream audio = new java.io.ByteArrayOutputStream();
        for (LibriVox.Recording r : LibriVox.recordings()) {
            audio.writeBytes(r.at(24000).pcm());
            audio.writeBytes(new byte[24000]);
        }
        // Wall clock of a nanoTime reading: the client stamps events with nanoTime.
        Instant now = Instant.now();
        long nano0 = System.nanoTime();
        double wall0 = now.getEpochSecond() * 1e9 + now.getNano();
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=24000&targets=es"))) {
            client.stream(audio.toByteArray(), 1920, 48000, true);
            client.endInput();
            client.await("session.closed", Duration.ofSeconds(120));
            for (ListenClient.Received e : client.events()) {
                JsonNode json = e.json();
                if (TYPES.contains(e.type())) {
                    Instant emitted = Instant.parse(json.path("emitted_at").asText());
                    double emittedNanos = emitted.getEpochSecond() * 1e9 + emitted.getNano();
                    double receivedNanos = wall0 + (e.atNanos() - nano0);
                    synchronized (byType) {
                        byType.computeIfAbsent(e.type(), k -> new ArrayList<>()).add((receivedNanos - emittedNanos) / 1e6);
                    }
                }
            }
        }
    }

    private static String stats(List<Double> values) {
        if (values == null || values.isEmpty()) {
            return "-";
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return String.format("%6.1f / %6.1f / %6.1f (%d)", at(sorted, 0.5), at(sorted, 0.95), sorted.get(sorted.size() - 1),
                sorted.size());
    }

    private static double at(List<Double> sorted, double q) {
        return sorted.get((int) Math.min(sorted.size() - 1, Math.round(q * (sorted.size() - 1))));
    }
}
