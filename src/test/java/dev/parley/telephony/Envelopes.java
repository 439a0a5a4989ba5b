package dev.parley.telephony;

import dev.parley.audio.G711;
import dev.parley.tts.EspeakSynthesizer;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Compares speech by its loudness over time: eSpeak NG's own rendering of a text, brought to the phone
 * line's 8 kHz as Parley does, against what a call heard. Two renderings of one text give the same
 * syllable rhythm; another sentence does not.
 */
final class Envelopes {

    /** 10 ms at 8 kHz. */
    static final int FRAME = 80;

    private Envelopes() {
    }

    /**
     * eSpeak NG speaking the text the way Parley's synthesizer calls it (the voice it picks for the
     * language, its default rate, text on standard input), at 8 kHz by {@link Playback#toTelephone}.
     */
    static short[] espeakAt8k(String text, String language) throws Exception {
        EspeakSynthesizer.Settings defaults = EspeakSynthesizer.Settings.defaults();
        String voice = new EspeakSynthesizer(defaults).voiceFor(language);
        Process p = new ProcessBuilder("espeak-ng", "-v", voice, "-s", Integer.toString(defaults.wordsPerMinute()),
                "-b", "1", "--stdout").start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        byte[] wav = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("espeak-ng failed for '" + text + "'");
        }
        return Playback.toTelephone(wav);
    }

    static short[] decodeMulaw(byte[] mulaw) {
        short[] pcm = new short[mulaw.length];
        G711.decode(mulaw, 0, mulaw.length, pcm);
        return pcm;
    }

    /** RMS of each 10 ms frame. */
    static double[] of(short[] pcm) {
        double[] env = new double[pcm.length / FRAME];
        for (int f = 0; f < env.length; f++) {
            double sum = 0;
            for (int i = f * FRAME; i < (f + 1) * FRAME; i++) {
                sum += (double) pcm[i] * pcm[i];
            }
            env[f] = Math.sqrt(sum / FRAME);
        }
        return env;
    }

    /**
     * The best normalised cross-correlation (Pearson) of two envelopes over lags of up to
     * {@code maxLag} frames, each over the frames both cover: 1 is the same contour.
     */
    static double correlation(double[] a, double[] b, int maxLag) {
        double best = -1;
        for (int lag = -maxLag; lag <= maxLag; lag++) {
            int from = Math.max(0, -lag);
            int to = Math.min(a.length, b.length - lag);
            int n = to - from;
            if (n < 10) {
                continue;
            }
            double ma = 0;
            double mb = 0;
            for (int i = from; i < to; i++) {
                ma += a[i];
                mb += b[i + lag];
            }
            ma /= n;
            mb /= n;
            double ab = 0;
            double aa = 0;
            double bb = 0;
            for (int i = from; i < to; i++) {
                double x = a[i] - ma;
                double y = b[i + lag] - mb;
                ab += x * y;
                aa += x * x;
                bb += y * y;
            }
            if (aa > 0 && bb > 0) {
                best = Math.max(best, ab / Math.sqrt(aa * bb));
            }
        }
        return best;
    }
}
