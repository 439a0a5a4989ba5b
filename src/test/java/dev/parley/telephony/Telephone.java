package dev.parley.telephony;

import dev.parley.audio.G711;
import dev.parley.testing.LibriVox;
import dev.parley.testing.WordErrorRate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** LibriVox recordings as a phone line carries them (8 kHz mu-law), and PocketSphinx's batch WER on that same audio. */
final class Telephone {

    private Telephone() {
    }

    /** The recording at 8 kHz (sox), mu-law encoded. */
    static byte[] mulaw(LibriVox.Recording r) throws Exception {
        byte[] pcm = r.at(8000).pcm();
        short[] s = dev.parley.audio.Pcm16.littleEndianToShorts(pcm, 0, pcm.length);
        return G711.encode(s, 0, s.length);
    }

    /**
     * Corpus WER of {@code pocketsphinx_batch} on the recordings converted by sox to 8 kHz mu-law and
     * back to 16 kHz WAV: the bound streaming recognition of the same telephone audio is held to.
     */
    static double batchWer(List<LibriVox.Recording> recordings) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "batch");
        StringBuilder ctl = new StringBuilder();
        for (LibriVox.Recording r : recordings) {
            Path ul = dir.resolve(r.id() + ".ul");
            // -D: no dither, so the reference is the same on every run (sox dithers by default).
            run("sox", "-D", r.wav().toString(), "-r", "8000", "-e", "mu-law", "-t", "raw", ul.toString());
            run("sox", "-D", "-t", "raw", "-r", "8000", "-e", "mu-law", "-c", "1", ul.toString(), "-r", "16000", "-e", "signed",
                    "-b", "16", dir.resolve(r.id() + ".wav").toString());
            ctl.append(r.id()).append('\n');
        }
        Files.writeString(dir.resolve("ctl"), ctl);
        String model = "/usr/share/pocketsphinx/model/en-us/";
        run("pocketsphinx_batch", "-adcin", "yes", "-cepdir", dir.toString(), "-cepext", ".wav", "-ctl", dir.resolve("ctl").toString(),
                "-hyp", dir.resolve("hyp").toString(), "-hmm", model + "en-us", "-lm", model + "en-us.lm.bin",
                "-dict", model + "cmudict-en-us.dict");
        Pattern line = Pattern.compile("(.*)\\((\\S+) [-0-9]+\\)\\s*");
        List<String> refs = new ArrayList<>();
        List<String> hyps = new ArrayList<>();
        List<String> out = Files.readAllLines(dir.resolve("hyp"));
        for (LibriVox.Recording r : recordings) {
            String hyp = "";
            for (String l : out) {
                Matcher m = line.matcher(l);
                if (m.matches() && m.group(2).equals(r.id())) {
                    hyp = m.group(1);
                }
            }
            refs.add(r.transcript());
            hyps.add(hyp);
        }
        return WordErrorRate.corpus(refs, hyps);
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed");
        }
    }
}
