package dev.parley.testing;

import dev.parley.audio.Pcm16;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The five LibriVox recordings of Debian's pocketsphinx-testdata, with their reference transcripts. */
public final class LibriVox {

    public static final Path DIR = Path.of("/usr/share/pocketsphinx/test/data/librivox");
    private static final Pattern LINE = Pattern.compile("<s>(.*)</s>\\s*\\((.+)\\)");
    private static List<Recording> all;

    /** One recording: where it is, and what is said in it. */
    public record Recording(String id, Path wav, String transcript) {

        /** The original audio: 16 kHz mono PCM16 samples. */
        public short[] samples() {
            try {
                byte[] pcm = WavFile.read(wav).pcm();
                return Pcm16.littleEndianToShorts(pcm, 0, pcm.length);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public long durationMs() {
            return samples().length * 1000L / 16000;
        }

        /** The recording converted by sox to another rate (mono 16-bit), cached under target/. */
        public WavFile at(int sampleRate) throws IOException, InterruptedException {
            if (sampleRate == 16000) {
                return WavFile.read(wav);
            }
            Path out = Path.of("target", "librivox", id + "." + sampleRate + ".wav");
            synchronized (LibriVox.class) { // clients of one test may ask for the same conversion at once
                if (!Files.exists(out)) {
                    Files.createDirectories(out.getParent());
                    Path partial = Path.of(out + ".part.wav");
                    Process sox = new ProcessBuilder("sox", wav.toString(), "-r", Integer.toString(sampleRate), partial.toString())
                            .redirectErrorStream(true).start();
                    String output = new String(sox.getInputStream().readAllBytes());
                    if (sox.waitFor() != 0) {
                        throw new IOException("sox failed: " + output);
                    }
                    Files.move(partial, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                }
            }
            return WavFile.read(out);
        }
    }

    private LibriVox() {
    }

    public static synchronized List<Recording> recordings() {
        if (all == null) {
            List<Recording> found = new ArrayList<>();
            try {
                for (String line : Files.readAllLines(DIR.resolve("transcription"))) {
                    Matcher m = LINE.matcher(line.trim());
                    if (m.matches()) {
                        found.add(new Recording(m.group(2), DIR.resolve(m.group(2) + ".wav"), m.group(1).trim()));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (found.size() != 5) {
                throw new IllegalStateException("Expected five LibriVox recordings in " + DIR
                        + " (Debian package pocketsphinx-testdata)");
            }
            all = List.copyOf(found);
        }
        return all;
    }

    /** The recording whose id ends with the given suffix, e.g. {@code 0870}. */
    public static Recording get(String idSuffix) {
        return recordings().stream().filter(r -> r.id().endsWith(idSuffix)).findFirst().orElseThrow();
    }
}
