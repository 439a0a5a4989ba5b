package dev.parley.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * How long after a {@code transcript.final} its {@code translation.final} and {@code tts.audio}
 * reach the client, with the embedded engines (Apertium, eSpeak NG), measured at the client.
 * Run: {@code ./parley bench-fanout [sessions] [rounds]}.
 */
public final class FanOutLatency {

    public static void main(String[] args) throws Exception {
        int sessions = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<Long> toTranslation = Collections.synchronizedList(new ArrayList<>());
        List<Long> toSpeech = Collections.synchronizedList(new ArrayList<>());
        try (ParleyServer parley = ParleyServer.start(Map.of("parley.archive.enabled", "false"))) {
            ExecutorService speakers = Executors.newFixedThreadPool(sessions);
            List<Future<?>> running = new ArrayList<>();
            for (int s = 0; s < sessions; s++) {
                running.add(speakers.submit(() -> {
                    for (int r = 0; r < rounds; r++) {
                        for (LibriVox.Recording recording : LibriVox.recordings()) {
                            measure(parley, recording, toTranslation, toSpeech);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
            speakers.shutdown();
        }
        System.out.printf("Setup: %d concurrent sessions x %d rounds of the 5 LibriVox recordings, 24 kHz PCM16 in 40 ms"
                + " frames at real-time pace, targets es,ca; Apertium + eSpeak NG; %d cores; Java %s%n",
                sessions, rounds, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        print("transcript.final -> translation.final", toTranslation);
        print("transcript.final -> tts.audio", toSpeech);
    }

    private static void measure(ParleyServer parley, LibriVox.Recording recording, List<Long> toTranslation,
                                List<Long> toSpeech) throws Exception {
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?targets=es,ca"))) {
            client.stream(recording.at(24000).pcm(), 1920, 48000, true);
            client.endInput();
            client.await("session.closed", Duration.ofSeconds(60));
            List<ListenClient.Received> events = client.events();
            for (ListenClient.Received fin : events) {
                if (!fin.type().equals("transcript.final")) {
                    continue;
                }
                for (ListenClient.Received later : events) {
                    JsonNode e = later.json();
                    if (!e.path("item_id").equals(fin.json().path("item_id"))) {
                        continue;
                    }
                    long ms = (later.atNanos() - fin.atNanos()) / 1_000_000;
                    if (later.type().equals("translation.final")) {
                        toTranslation.add(ms);
                    } else if (later.type().equals("tts.audio")) {
                        toSpeech.add(ms);
                    }
                }
            }
        }
    }

    private static void print(String what, List<Long> millis) {
        List<Long> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        System.out.printf("%-40s n=%d  p50=%d ms  p95=%d ms  max=%d ms%n", what, sorted.size(),
                percentile(sorted, 50), percentile(sorted, 95), sorted.get(sorted.size() - 1));
    }

    private static long percentile(List<Long> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
}
