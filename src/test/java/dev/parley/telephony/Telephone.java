package dev.parley.telephony;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.realtime.pocketsphinx.PocketSphinxSettings;
import dev.parley.testing.LibriVox;
import dev.parley.testing.WordErrorRate;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LibriVox recordings as a phone line carries them (8 kHz mu-law), calls in which two parties say them in
 * turn, and PocketSphinx's batch WER on that same audio.
 */
public final class Telephone {

    /** The parties of a two-channel call, as Parley names its channels. */
    public static final List<String> PARTIES = List.of("customer", "agent");
    /** Silence after each turn, on both lines. */
    private static final int PAUSE_MS = 1000;
    /** How far a final may reach beyond its turn's recording: the recognizer's timing is not to the frame. */
    private static final long MARGIN_MS = 700;

    private Telephone() {
    }

    /**
     * A call in which the customer and the agent take turns: each party's line as 8 kHz mu-law (both of
     * one length), the recordings each party says, and when each says them (ms from the call's start).
     */
    public record Call(Map<String, byte[]> audio, Map<String, List<LibriVox.Recording>> said, Map<String, List<long[]>> turns) {

        /** What the party says over the call: the transcripts of its recordings, in order. */
        public String reference(String party) {
            return String.join(" ", said.get(party).stream().map(LibriVox.Recording::transcript).toList());
        }

        /**
         * Per party: the corpus WER of its finals against what it said is at most the batch WER of its
         * recordings as 8 kHz mu-law plus 0.05, and each of its finals lies within one of its own turns.
         * Each translation carries its transcript's channel, and every byte of each line was counted.
         */
        void assertEachPartyTranscribedInItsTurns(String call, List<JsonNode> events) throws Exception {
            List<JsonNode> translations = Archives.ofType(events, "translation.final");
            if (translations.isEmpty()) {
                throw new AssertionError(call + ": no translation.final");
            }
            for (JsonNode t : translations) {
                JsonNode transcript = Archives.ofType(events, "transcript.final").stream()
                        .filter(f -> f.path("item_id").asText().equals(t.path("item_id").asText())).findFirst().orElseThrow();
                if (!transcript.path("channel").asText().equals(t.path("channel").asText())) {
                    throw new AssertionError(call + ": a translation is of its transcript's channel: " + t);
                }
            }
            JsonNode audio = Archives.ofType(events, "session.closed").get(0).path("audio");
            for (String party : PARTIES) {
                if (this.audio.get(party).length != audio.path(party).path("bytes").asLong()) {
                    throw new AssertionError(call + ": every byte of the " + party + "'s line counted: " + audio);
                }
            }
            List<String> failures = new ArrayList<>();
            for (String party : PARTIES) {
                double wer = WordErrorRate.of(reference(party), Archives.text(events, "transcript.final", party));
                double batch = batchWer(said.get(party));
                System.out.printf("%s, %s: WER %.3f, batch WER of the same 8 kHz audio %.3f%n", call, party, wer, batch);
                if (wer > batch + 0.05) {
                    failures.add(party + ": WER " + wer + " over batch " + batch + " + 0.05; heard '"
                            + Archives.text(events, "transcript.final", party) + "', said '" + reference(party) + "'");
                }
                for (JsonNode f : Archives.ofType(events, "transcript.final")) {
                    long start = f.path("start_ms").asLong();
                    long end = f.path("end_ms").asLong();
                    if (f.path("channel").asText().equals(party) && turns.get(party).stream()
                            .noneMatch(t -> start >= t[0] - MARGIN_MS && end <= t[1] + MARGIN_MS)) {
                        failures.add(party + ": a final outside its turns " + turnsText(party) + ": " + f);
                    }
                }
            }
            if (!failures.isEmpty()) {
                throw new AssertionError(String.join("\n", failures));
            }
        }

        private String turnsText(String party) {
            return String.join(", ", turns.get(party).stream().map(t -> t[0] + "-" + t[1] + " ms").toList());
        }
    }

    /**
     * The recordings (id suffixes) said in turn, the customer first, then the agent, and so on, each
     * once: while one party speaks the other's line carries mu-law silence, and every turn is followed
     * by a second of silence on both lines.
     */
    public static Call takingTurns(String... recordings) throws Exception {
        if (new HashSet<>(Arrays.asList(recordings)).size() != recordings.length) {
            throw new IllegalArgumentException("each recording is said once: " + Arrays.toString(recordings));
        }
        Map<String, ByteArrayOutputStream> lines = new LinkedHashMap<>();
        Map<String, List<LibriVox.Recording>> said = new LinkedHashMap<>();
        Map<String, List<long[]>> turns = new LinkedHashMap<>();
        for (String party : PARTIES) {
            lines.put(party, new ByteArrayOutputStream());
            said.put(party, new ArrayList<>());
            turns.put(party, new ArrayList<>());
        }
        long at = 0;
        for (int i = 0; i < recordings.length; i++) {
            String speaker = PARTIES.get(i % 2);
            LibriVox.Recording r = LibriVox.get(recordings[i]);
            byte[] speech = mulaw(r);
            // The pause ends the turn on a whole 20 ms, so the call is whole Twilio media messages.
            int pause = PAUSE_MS * 8 + Math.floorMod(-speech.length, 160);
            for (String party : PARTIES) {
                lines.get(party).writeBytes(party.equals(speaker) ? speech : silence(speech.length));
                lines.get(party).writeBytes(silence(pause));
            }
            said.get(speaker).add(r);
            turns.get(speaker).add(new long[] {at, at + speech.length / 8});
            at += (speech.length + pause) / 8;
        }
        Map<String, byte[]> audio = new LinkedHashMap<>();
        lines.forEach((party, line) -> audio.put(party, line.toByteArray()));
        return new Call(audio, said, turns);
    }

    /** Mu-law silence: the code of a zero sample. */
    private static byte[] silence(int bytes) {
        byte[] s = new byte[bytes];
        Arrays.fill(s, (byte) 0xFF);
        return s;
    }

    /**
     * The recording converted by sox to 8 kHz mu-law, cached under target/: the audio {@link #batchWer}
     * decodes. -D: no dither, so it is the same on every run (sox dithers by default, with a new seed
     * each time, and at this level one word of a recording can change with the dither).
     */
    static byte[] mulaw(LibriVox.Recording r) throws Exception {
        Path ul = Path.of("target", "librivox", r.id() + ".8000.ul");
        if (!Files.exists(ul)) {
            Files.createDirectories(ul.getParent());
            // A file of its own, so test JVMs converting at once do not write into each other's.
            Path partial = Files.createTempFile(ul.getParent(), r.id(), ".ul.part");
            run("sox", "-D", r.wav().toString(), "-r", "8000", "-e", "mu-law", "-t", "raw", partial.toString());
            Files.move(partial, ul, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        return Files.readAllBytes(ul);
    }

    /**
     * Corpus WER of {@code pocketsphinx_batch} on the recordings as {@link #mulaw} has them, converted
     * by sox back to 16 kHz WAV: the bound streaming recognition of the same telephone audio is held to.
     * It searches with the settings Parley's recognizer has by default ({@code -fwdflat no} among
     * them), so the bound measures what streaming costs, not a choice of search settings.
     */
    static double batchWer(List<LibriVox.Recording> recordings) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "batch");
        StringBuilder ctl = new StringBuilder();
        for (LibriVox.Recording r : recordings) {
            Path ul = Files.write(dir.resolve(r.id() + ".ul"), mulaw(r));
            run("sox", "-D", "-t", "raw", "-r", "8000", "-e", "mu-law", "-c", "1", ul.toString(), "-r", "16000", "-e", "signed",
                    "-b", "16", dir.resolve(r.id() + ".wav").toString());
            ctl.append(r.id()).append('\n');
        }
        Files.writeString(dir.resolve("ctl"), ctl);
        String model = "/usr/share/pocketsphinx/model/en-us/";
        List<String> batch = new ArrayList<>(List.of("pocketsphinx_batch", "-adcin", "yes", "-cepdir", dir.toString(), "-cepext", ".wav",
                "-ctl", dir.resolve("ctl").toString(), "-hyp", dir.resolve("hyp").toString(), "-hmm", model + "en-us",
                "-lm", model + "en-us.lm.bin", "-dict", model + "cmudict-en-us.dict"));
        batch.addAll(searchOptions());
        run(batch.toArray(new String[0]));
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

    /** The search options among Parley's default recognizer arguments, in pocketsphinx_batch's terms. */
    private static List<String> searchOptions() {
        List<String> search = List.of("-beam", "-wbeam", "-pbeam", "-lw", "-maxhmmpf", "-fwdflat", "-bestpath", "-pl_window");
        String[] args = PocketSphinxSettings.defaults().toArgs();
        List<String> out = new ArrayList<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (search.contains(args[i])) {
                out.add(args[i]);
                out.add(args[i + 1]);
            }
        }
        return out;
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed");
        }
    }
}
