package dev.parley.operations;

import dev.parley.testing.PackagedParley;
import dev.parley.testing.WordErrorRate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first calls after a restart: eight people start talking the moment a restarted Parley (its
 * production settings: eight warm decoders, translation into Spanish and speech on) says it is
 * ready (and, with {@code -Dwarmstart.reference=true}, eight more once those are done, for reference). What a first session would pay is paid before
 * readiness or kept across the restart: every warm decoder is built before Parley is ready and none
 * after; the cepstral means learnt before the restart are read back (no second pass for want of
 * them); the warm-up has rehearsed sessions on /v1/listen, and no caller can tell: nothing in the
 * archive, nothing to a user's route, nothing in the metrics, no cepstral means learnt from it.
 *
 * <p>The audio each round loses ({@code overloaded}) is printed, with the load average, Parley's CPU
 * time and its JIT compilers' time, not held to a bound: on a machine shared with other work it
 * depends on that work as much as on Parley (docs/benchmarks.md has the figures).
 * {@code -Dwarmstart.jvm-options=...} runs Parley with those JVM options (JAVA_TOOL_OPTIONS).
 */
@Timeout(600)
class WarmStartIT {

    // Production's decoders and warm-up; the 8 callers are token sessions from one address, so every
    // decoder is theirs to take (none reserved for API keys and telephony), as in the benchmark.
    private static final Map<String, String> PRODUCTION = Map.of(
            "PARLEY_RECOGNIZER_POCKETSPHINX_WARM_DECODERS", "8", "PARLEY_RECOGNIZER_WARMUP", "true",
            "PARLEY_RECOGNIZER_POCKETSPHINX_RESERVED_FOR_TRUSTED", "0",
            "JAVA_TOOL_OPTIONS", System.getProperty("warmstart.jvm-options", ""));

    /** A second round, once warm, beside the first: the reference for its figures (the suite runs the first only). */
    private static final boolean REFERENCE = Boolean.getBoolean("warmstart.reference");

    @Test
    void whatTheFirstSessionsWouldPayIsPaidBeforeReadinessOrKeptAcrossTheRestart() throws Exception {
        Path dir = PackagedParley.folder("warm-start");
        Path priors = dir.resolve("state/cmn-priors.json");
        // A user's route that would keep every event it is given.
        Files.writeString(dir.resolve("routes/every-event.camel.yaml"), """
                - route:
                    id: every-event
                    from:
                      uri: parley:events
                      steps:
                        - to: file:every-event?fileName=${header.ParleySessionId}-${header.ParleyEventType}-${exchangeId}.json
                """);
        try (PackagedParley parley = PackagedParley.start(dir, PRODUCTION)) {
            // The deployment's first start: the rehearsal has run, and no caller can tell.
            assertTrue(parley.log().contains("Warm-up rehearsed 8 sessions"), "the warm-up rehearsed sessions:\n"
                    + PackagedParley.tail(parley.log(), 20));
            assertEquals(0, sessionsArchived(dir), "the rehearsal recorded nothing");
            assertFalse(Files.exists(dir.resolve("every-event")), "a user's route heard nothing of the rehearsal");
            String metrics = get(parley.http("/observe/metrics"));
            for (String counted : List.of("parley_sessions_opened_total{ingest=\"listen\"}",
                    "parley_audio_received_seconds_total{ingest=\"listen\"}", "parley_transcript_finals_total{ingest=\"listen\"}")) {
                assertTrue(metrics.contains(counted + " 0.0"), counted + " counts the rehearsal:\n" + metrics.lines()
                        .filter(l -> l.startsWith(counted.substring(0, counted.indexOf('{')))).toList());
            }
            // Learnt priors are saved within SAVE_EVERY_S of changing: had the rehearsal taught any,
            // they would be on disk by now.
            Thread.sleep(11_000);
            assertFalse(Files.exists(priors), "the rehearsal taught no priors");

            // The deployment's earlier life: a few callers, then a restart (SIGTERM).
            Speakers.atOnce(3, () -> parley.ws("/v1/listen?rate=24000"), Duration.ofSeconds(90), 1);
        }
        assertTrue(Files.exists(priors), "learnt priors kept across the restart");
        Files.delete(dir.resolve("routes/every-event.camel.yaml"));

        try (PackagedParley parley = PackagedParley.start(dir, PRODUCTION)) {
            assertTrue(parley.log().contains("Cepstral-mean priors of 1 kind(s) of audio read"), "priors read back");
            assertTrue(parley.log().contains("Warm-up done"), "ready after the warm-up");
            assertEquals(8, decodersBuilt(parley), "every warm decoder built before readiness");
            round(parley, "right after readiness");
            if (REFERENCE) {
                round(parley, "then, warm");
            }
            assertEquals(8, decodersBuilt(parley), "no decoder built once ready");
        }
    }

    private static String get(java.net.URI uri) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(uri).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    private static long decodersBuilt(PackagedParley parley) throws Exception {
        return parley.log().lines().filter(l -> l.contains("Built pocketsphinx decoder")).count();
    }

    private static long sessionsArchived(Path dir) throws Exception {
        if (!Files.exists(dir.resolve("archive"))) {
            return 0;
        }
        try (var files = Files.walk(dir.resolve("archive"))) {
            return files.filter(f -> f.getFileName().toString().equals("call.json")).count();
        }
    }

    private static void round(PackagedParley parley, String when) throws Exception {
        long cpu0 = cpuMs(parley);
        long jit0 = jitMs(parley);
        long load = Math.round(Files.readString(Path.of("/proc/loadavg")).split(" ")[0].transform(Double::parseDouble) * 100);
        List<Speakers.Talk> talks = Speakers.atOnce(8, () -> parley.ws("/v1/listen?rate=24000"), Duration.ofSeconds(120), 5);
        long cpu = cpuMs(parley) - cpu0;
        long jit = jitMs(parley) - jit0;
        List<Double> at = talks.stream().flatMap(t -> t.overloadedAt().stream()).sorted().toList();
        String first = at.isEmpty() ? "" : String.format(" (from %.1f s into a session)", at.get(0));
        long overloaded = talks.stream().mapToLong(Speakers.Talk::overloaded).sum();
        long dropped = talks.stream().mapToLong(Speakers.Talk::droppedBytes).sum();
        double wer = WordErrorRate.corpus(talks.stream().map(Speakers.Talk::reference).toList(),
                talks.stream().map(Speakers.Talk::heard).toList());
        System.out.printf("warm start, %s: 8 sessions of %d s at once, real-time pace, 24 kHz PCM16, targets es, tts on;"
                        + " %d cores, load average %.2f before; Parley used %.1f s of CPU, its JIT compilers %.1f s: %d"
                        + " overloaded errors%s, %.1f s of audio dropped (client at most %d ms late), corpus WER %.3f%n",
                when, Speakers.audio(talks.get(0).said()).length / 2 / Speakers.RATE, Runtime.getRuntime().availableProcessors(),
                load / 100.0, cpu / 1000.0, jit / 1000.0, overloaded, first, dropped / 2.0 / Speakers.RATE,
                talks.stream().mapToLong(Speakers.Talk::maxLagMs).max().orElse(0), wer);
    }

    /** Time the JVM's JIT compilers have spent (jcmd, beside the running java). */
    private static long jitMs(PackagedParley parley) throws Exception {
        String jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd").toString();
        Process p = new ProcessBuilder(jcmd, Long.toString(parley.process().pid()), "PerfCounter.print")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out.lines().filter(l -> l.startsWith("java.ci.totalTime=")).findFirst()
                .map(l -> Long.parseLong(l.substring(l.indexOf('=') + 1).trim()) / 1_000_000).orElse(-1L);
    }

    private static long cpuMs(PackagedParley parley) {
        return parley.process().info().totalCpuDuration().orElseThrow().toMillis();
    }
}
