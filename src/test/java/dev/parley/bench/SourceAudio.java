package dev.parley.bench;

import dev.parley.testing.LibriVox;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What every benchmark session streams: the five LibriVox recordings of pocketsphinx-testdata one
 * after another, each followed by {@code gapMs} of near-silence (+-2 LSB noise, like a quiet
 * microphone), looped from a per-session starting recording until at least the step's duration.
 *
 * <p>End of speech is found in the source audio itself, offline, never from Parley's results: the
 * original 16 kHz samples are cut into 10 ms frames; a frame is voiced when its RMS level is at least
 * 12 dB above the recording's noise floor (its 10th-percentile frame level) and above -50 dBFS;
 * voiced frames less than {@link #HANGOVER_MS} apart form one speech segment; segments shorter than
 * 100 ms are ignored. A segment's end of speech is the end of its last voiced frame.
 */
final class SourceAudio {

    static final int FRAME_MS = 10;
    static final int HANGOVER_MS = 300;

    /** A stretch of speech, in milliseconds from the start of its recording (or of the stream). */
    record Segment(long startMs, long endMs) {
        Segment shift(long ms) { return new Segment(startMs + ms, endMs + ms); }
    }

    /** One recording placed in a stream. */
    record Placed(LibriVox.Recording recording, long startMs, long endMs) { }

    /** One session's whole stream: PCM16 at {@code rate}, its speech segments and recordings, in stream time. */
    record Stream(int rate, byte[] pcm, List<Segment> speech, List<Placed> recordings) {
        long durationMs() { return pcm.length / 2 * 1000L / rate; }
    }

    private final int rate;
    private final int gapMs;
    private final List<LibriVox.Recording> recordings = LibriVox.recordings();
    private final List<byte[]> pcm = new ArrayList<>();
    private final List<List<Segment>> speech = new ArrayList<>();
    private final byte[] gap;

    SourceAudio(int rate, int gapMs) throws Exception {
        this.rate = rate;
        this.gapMs = gapMs;
        for (LibriVox.Recording r : recordings) {
            byte[] audio = r.at(rate).pcm();
            // whole milliseconds, so that stream offsets stay exact
            int bytesPerMs = rate / 1000 * 2;
            pcm.add(java.util.Arrays.copyOf(audio, audio.length / bytesPerMs * bytesPerMs));
            speech.add(segments(r.samples()));
        }
        gap = new byte[rate / 1000 * 2 * gapMs];
        Random noise = new Random(1);
        for (int i = 0; i < gap.length; i += 2) {
            int s = noise.nextInt(5) - 2;
            gap[i] = (byte) s;
            gap[i + 1] = (byte) (s >> 8);
        }
    }

    List<LibriVox.Recording> recordings() { return recordings; }

    /** Speech segments of one recording, in its own time. */
    List<Segment> speechOf(int index) { return speech.get(index); }

    /** Recordings from {@code first} on (cycling), each with its gap, until at least {@code minMs}. */
    Stream stream(int first, long minMs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Segment> segs = new ArrayList<>();
        List<Placed> placed = new ArrayList<>();
        long at = 0;
        for (int i = first; at < minMs || placed.isEmpty(); i++) {
            int k = i % recordings.size();
            byte[] audio = pcm.get(k);
            long len = audio.length / 2 * 1000L / rate;
            for (Segment s : speech.get(k)) {
                segs.add(s.shift(at));
            }
            placed.add(new Placed(recordings.get(k), at, at + len));
            out.writeBytes(audio);
            out.writeBytes(gap);
            at += len + gapMs;
        }
        return new Stream(rate, out.toByteArray(), segs, placed);
    }

    /** The energy VAD described above, on 16 kHz samples. */
    static List<Segment> segments(short[] samples) {
        int frame = 16000 * FRAME_MS / 1000;
        int frames = samples.length / frame;
        double[] db = new double[frames];
        for (int f = 0; f < frames; f++) {
            double sum = 0;
            for (int i = f * frame; i < (f + 1) * frame; i++) {
                sum += (double) samples[i] * samples[i];
            }
            db[f] = 10 * Math.log10(sum / frame / (32768.0 * 32768.0) + 1e-12);
        }
        double[] sorted = db.clone();
        java.util.Arrays.sort(sorted);
        double floor = sorted[(int) (0.10 * (sorted.length - 1))];
        double threshold = Math.max(floor + 12, -50);
        List<Segment> out = new ArrayList<>();
        long start = -1;
        long lastVoicedEnd = -1;
        for (int f = 0; f < frames; f++) {
            if (db[f] < threshold) {
                continue;
            }
            long t = (long) f * FRAME_MS;
            if (start >= 0 && t - lastVoicedEnd >= HANGOVER_MS) {
                if (lastVoicedEnd - start >= 100) {
                    out.add(new Segment(start, lastVoicedEnd));
                }
                start = -1;
            }
            if (start < 0) {
                start = t;
            }
            lastVoicedEnd = t + FRAME_MS;
        }
        if (start >= 0 && lastVoicedEnd - start >= 100) {
            out.add(new Segment(start, lastVoicedEnd));
        }
        return out;
    }
}
