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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first calls after a restart: eight people start talking the moment a restarted Parley (its
 * production settings: eight warm decoders, translation into Spanish and speech on) says it is
 * ready, and again once it has run a while. The first eight may not lose more audio than the later
 * eight: what a first session pays (decoders still being built, the cepstral-mean second pass, code
 * not yet compiled, pipelines not yet run) is paid before readiness or kept across the restart.
 * The machine is shared: when it cannot carry eight sessions even warm, the first round may lose as
 * much as the later one, and no more.
 */
@Timeout(600)
class WarmStartIT {

    private static final Map<String, String> PRODUCTION = Map.of(
            "PARLEY_RECOGNIZER_POCKETSPHINX_WARM_DECODERS", "8", "PARLEY_RECOGNIZER_WARMUP", "true");

    @Test
    void eightSessionsRightAfterARestartLoseNoMoreAudioThanLaterOnes() throws Exception {
        Path dir = PackagedParley.folder("warm-start");
        try (PackagedParley parley = PackagedParley.start(dir, PRODUCTION)) {
            // The deployment's earlier life: a few callers, then a restart (SIGTERM).
            Speakers.atOnce(3, () -> parley.ws("/v1/listen?rate=24000"), Duration.ofSeconds(90), 1);
        }
        assertTrue(Files.exists(dir.resolve("state/cmn-priors.json")), "learnt priors kept across the restart");

        try (PackagedParley parley = PackagedParley.start(dir, PRODUCTION)) {
            assertTrue(parley.log().contains("Warm-up done"), "ready after the warm-up");
            assertEquals(3, sessionsArchived(dir), "the warm-up is no session: nothing archived");
            Round first = round(parley, "right after readiness");
            Round later = round(parley, "then, warm");
            assertTrue(first.overloaded <= (later.overloaded == 0 ? 0 : later.overloaded + later.overloaded / 4),
                    "overloaded errors right after readiness: " + first.overloaded + ", later: " + later.overloaded);
        }
    }

    private static long sessionsArchived(Path dir) throws Exception {
        try (var files = Files.walk(dir.resolve("archive"))) {
            return files.filter(f -> f.getFileName().toString().equals("call.json")).count();
        }
    }

    private record Round(long overloaded, long dropped) {
    }

    private static Round round(PackagedParley parley, String when) throws Exception {
        long load = Math.round(Files.readString(Path.of("/proc/loadavg")).split(" ")[0].transform(Double::parseDouble) * 100);
        List<Speakers.Talk> talks = Speakers.atOnce(8, () -> parley.ws("/v1/listen?rate=24000"), Duration.ofSeconds(120), 5);
        long overloaded = talks.stream().mapToLong(Speakers.Talk::overloaded).sum();
        long dropped = talks.stream().mapToLong(Speakers.Talk::droppedBytes).sum();
        double wer = WordErrorRate.corpus(talks.stream().map(Speakers.Talk::reference).toList(),
                talks.stream().map(Speakers.Talk::heard).toList());
        System.out.printf("warm start, %s: 8 sessions of %d s at once, real-time pace, 24 kHz PCM16, targets es, tts on,"
                        + " %d cores, load average %.2f before: %d overloaded errors, %.1f s of audio dropped, corpus WER %.3f%n",
                when, Speakers.audio(talks.get(0).said()).length / 2 / Speakers.RATE, Runtime.getRuntime().availableProcessors(),
                load / 100.0, overloaded, dropped / 2.0 / Speakers.RATE, wer);
        return new Round(overloaded, dropped);
    }
}
