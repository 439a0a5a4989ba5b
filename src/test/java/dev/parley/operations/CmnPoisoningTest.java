package dev.parley.operations;

import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WordErrorRate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One caller may not make everyone's recognition worse. The cepstral mean that new sessions start
 * from is learnt from earlier sessions: a session of band-passed, loud audio (a bad line, a
 * misconfigured client) must not move it so far that later sessions of clean speech are recognised
 * worse than on a fresh Parley. The clean session reads the five LibriVox recordings back to back,
 * so its first utterance is too long (over 10 s) to be decoded a second time with its own mean: it
 * is recognised with the mean it starts from.
 */
@Timeout(300)
class CmnPoisoningTest {

    private static final int RATE = 24000;

    @Test
    void aBandPassedSessionDoesNotDegradeLaterSessions() throws Exception {
        double fresh;
        try (ParleyServer parley = start()) {
            fresh = clean(parley, "fresh Parley");
        }
        double after;
        try (ParleyServer parley = start()) {
            byte[] poison = poison();
            ListenClient bad = say(parley, poison);
            System.out.printf("poisoning session: %d s of the recordings band-passed (sox sinc 2500-7000 gain 15), heard '%s'%n",
                    poison.length / 2 / RATE, heard(bad));
            after = Math.max(clean(parley, "after it, 1st session"), clean(parley, "after it, 2nd session"));
        }
        System.out.printf("CMN poisoning (%d Hz, the five LibriVox recordings back to back in one session): WER on a fresh"
                + " Parley %.3f, after one band-passed session %.3f (the worse of two sessions)%n", RATE, fresh, after);
        assertTrue(after <= fresh + 0.05, "WER after the poisoning session " + after + ", on a fresh Parley " + fresh);
    }

    private static ParleyServer start() throws Exception {
        // Audio is streamed faster than real time: a queue long enough to hold a whole session.
        return ParleyServer.start(Map.of("parley.session.max-queued-audio-ms", "60000",
                "parley.translation.enabled", "false", "parley.recognizer.pocketsphinx.warm-decoders", "1"));
    }

    /** WER of one session that reads the recordings, from 0890 on, without pauses between them. */
    private static double clean(ParleyServer parley, String what) throws Exception {
        List<LibriVox.Recording> all = LibriVox.recordings();
        List<LibriVox.Recording> said = List.of(all.get(2), all.get(3), all.get(4), all.get(0), all.get(1));
        ByteArrayOutputStream audio = new ByteArrayOutputStream();
        for (LibriVox.Recording r : said) {
            audio.writeBytes(r.at(RATE).pcm());
        }
        String heard = heard(say(parley, audio.toByteArray()));
        double wer = WordErrorRate.of(said.stream().map(LibriVox.Recording::transcript).collect(Collectors.joining(" ")), heard);
        System.out.printf("%s: WER %.3f, heard '%s'%n", what, wer, heard);
        return wer;
    }

    private static ListenClient say(ParleyServer parley, byte[] audio) throws Exception {
        ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=" + RATE + "&targets="));
        client.stream(audio, RATE * 2 / 25, RATE * 2, false);
        client.endInput();
        client.await("session.closed", Duration.ofSeconds(120));
        return client;
    }

    private static String heard(ListenClient client) {
        return client.events("transcript.final").stream().map(e -> e.path("text").asText()).collect(Collectors.joining(" "));
    }

    /** The five recordings one after another (24 s), band-passed to 2.5-7 kHz and 15 dB louder, as in the issue. */
    private static byte[] poison() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "poison"));
        Path out = dir.resolve("poison." + RATE + ".raw");
        if (!Files.exists(out)) {
            List<String> command = new ArrayList<>(List.of("sox", "-D"));
            LibriVox.recordings().forEach(r -> command.add(r.wav().toString()));
            Path partial = dir.resolve("poison.part.raw");
            command.addAll(List.of("-r", Integer.toString(RATE), "-e", "signed", "-b", "16", "-c", "1", "-t", "raw",
                    partial.toString(), "sinc", "2500-7000", "gain", "15"));
            Process sox = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(sox.getInputStream().readAllBytes());
            if (sox.waitFor() != 0) {
                throw new IllegalStateException("sox failed: " + output);
            }
            Files.move(partial, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return Files.readAllBytes(out);
    }
}
