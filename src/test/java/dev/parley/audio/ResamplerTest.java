package dev.parley.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResamplerTest {

    private static final double AMPLITUDE = 16000;

    @Test
    void tenKiloHertzAt24kIsRemovedGoingTo16k() {
        double db = stopBandDb(24000, 16000, 10000);
        System.out.printf("24k->16k: 10 kHz tone %.1f dB%n", db);
        assertTrue(db <= -60, "10 kHz only " + db + " dB down");
    }

    @Test
    void oneKiloHertzPasses24kTo16k() {
        double db = passBandDb(24000, 16000, 1000);
        System.out.printf("24k->16k: 1 kHz gain %.5f dB%n", db);
        assertEquals(0, db, 0.5);
    }

    @Test
    void oneKiloHertzPasses8kTo16kAtTheSameFrequency() {
        double db = passBandDb(8000, 16000, 1000);
        System.out.printf("8k->16k: 1 kHz gain %.5f dB%n", db);
        assertEquals(0, db, 0.5);

        short[] out = new Resampler(8000, 16000).process(tone(8000, 1000, 3 * 8000), 0, 3 * 8000);
        assertEquals(1000, zeroCrossingFrequency(out, 16000, 16000, 16000), 0.5);
    }

    @Test
    void passBandOf8kTo16kReachesNinetyPercentOfNyquist() {
        double edge = passBandDb(8000, 16000, 3600);
        // 3.9 kHz lies in the transition band, which ends at Nyquist so no image can leak below it.
        double transition = passBandDb(8000, 16000, 3900);
        System.out.printf("8k->16k: 3.6 kHz gain %.5f dB, 3.9 kHz gain %.1f dB%n", edge, transition);
        assertEquals(0, edge, 0.01);
        assertTrue(transition < -1, "3.9 kHz at " + transition + " dB: the transition band moved");
    }

    @Test
    void upsampling8kTo16kLeavesNoImage() {
        Resampler resampler = new Resampler(8000, 16000);
        short[] out = resampler.process(tone(8000, 3000, 2 * 8000), 0, 2 * 8000);
        double image = amplitude(out, 8000, 16000, 5000, 16000) / AMPLITUDE;
        System.out.printf("8k->16k: 5 kHz image of 3 kHz %.1f dB%n", db(image));
        assertTrue(db(image) <= -60, "image only " + db(image) + " dB down");
    }

    /** For each ratio: a tone inside the pass band survives intact, one beyond it vanishes. */
    @ParameterizedTest
    @CsvSource({
        "24000, 16000, 7200, 10000",
        "16000, 8000, 3600, 5000",
        "48000, 24000, 10800, 13000",
        "44100, 24000, 10800, 13000",
        "44100, 16000, 7200, 9000",
        "8000, 16000, 3600, 3000",
        "16000, 24000, 7200, 6000",
        "16000, 48000, 7200, 6000",
        "24000, 44100, 10800, 9000",
    })
    void filtersEveryRatio(int inRate, int outRate, int passFrequency, int rejectFrequency) {
        double pass = passBandDb(inRate, outRate, passFrequency);
        double reject = stopBandDb(inRate, outRate, rejectFrequency);
        System.out.printf("%d->%d: %d Hz gain %.5f dB, %d Hz %s %.1f dB%n", inRate, outRate,
                passFrequency, pass, rejectFrequency, inRate > outRate ? "alias" : "images", reject);
        assertEquals(0, pass, 0.01);
        assertTrue(reject <= -70, "only " + reject + " dB down");
    }

    @ParameterizedTest
    @CsvSource({"24000, 16000", "8000, 16000", "16000, 8000", "44100, 24000", "16000, 44100"})
    void delayIsExact(int inRate, int outRate) {
        Resampler resampler = new Resampler(inRate, outRate);
        short[] out = resampler.process(tone(inRate, 1000, 2 * inRate), 0, 2 * inRate);
        int d = resampler.delay();
        double error = 0;
        for (int m = outRate / 2; m < out.length; m++) {
            double expected = AMPLITUDE * Math.sin(2 * Math.PI * 1000 * (m - d) / outRate);
            error += (out[m] - expected) * (out[m] - expected);
        }
        double rms = Math.sqrt(error / (out.length - outRate / 2));
        assertTrue(db(rms / (AMPLITUDE / Math.sqrt(2))) < -60, "misaligned by " + rms);
    }

    @ParameterizedTest
    @CsvSource({"24000, 16000", "8000, 16000", "16000, 8000", "48000, 24000", "44100, 24000", "16000, 16000"})
    void chunkingDoesNotChangeTheOutput(int inRate, int outRate) {
        Random random = new Random(inRate * 31L + outRate);
        short[] in = new short[inRate];
        for (int i = 0; i < in.length; i++) {
            in[i] = (short) (random.nextGaussian() * 6000 + 12000 * Math.sin(i * 0.01));
        }
        short[] whole = new Resampler(inRate, outRate).process(in, 0, in.length);

        Resampler chunked = new Resampler(inRate, outRate);
        short[] joined = new short[0];
        for (int off = 0; off < in.length; ) {
            // Many tiny chunks (including empty ones) stress the carried-over state most.
            int len = Math.min(in.length - off, random.nextInt(random.nextBoolean() ? 4 : 700));
            short[] out = chunked.process(in, off, len);
            joined = Arrays.copyOf(joined, joined.length + out.length);
            System.arraycopy(out, 0, joined, joined.length - out.length, out.length);
            off += len;
        }
        assertArrayEquals(whole, joined);
    }

    @ParameterizedTest
    @CsvSource({"24000, 16000", "8000, 16000", "16000, 8000", "44100, 24000", "24000, 44100", "16000, 16000"})
    void outputLengthFollowsTheRatio(int inRate, int outRate) {
        Resampler resampler = new Resampler(inRate, outRate);
        short[] chunk = new short[333];
        long produced = 0;
        int fed = 0;
        for (; fed < 10 * inRate; fed += chunk.length) {
            produced += resampler.process(chunk, 0, chunk.length).length;
            // Never more than one sample from the exact ratio, at any point of the stream.
            assertEquals((double) (fed + chunk.length) * outRate / inRate, produced, 1.0);
        }
        assertEquals((long) Math.ceil((double) fed * outRate / inRate), produced);
    }

    @Test
    void equalRatesCopy() {
        Resampler resampler = new Resampler(16000, 16000);
        short[] in = {1, -2, 3, Short.MAX_VALUE, Short.MIN_VALUE};
        short[] out = resampler.process(in, 1, 3);
        assertArrayEquals(new short[] {-2, 3, Short.MAX_VALUE}, out);
        assertNotSame(in, out);
        assertEquals(0, resampler.delay());
    }

    @Test
    void saturatesInsteadOfWrapping() {
        // A full-scale square wave overshoots by about 9% next to its edges once band-limited.
        short[] in = new short[8000];
        for (int i = 0; i < in.length; i++) {
            in[i] = (i / 20) % 2 == 0 ? Short.MAX_VALUE : Short.MIN_VALUE;
        }
        Resampler resampler = new Resampler(8000, 16000);
        short[] out = resampler.process(in, 0, in.length);
        int max = 0;
        for (int m = 2 * resampler.delay(); m < out.length; m++) {
            // Input edges fall half a sample before each 20th input sample: every 40th output sample.
            int sinceEdge = Math.floorMod(m - resampler.delay() + 1, 40);
            int expectedSign = Math.floorDiv(m - resampler.delay() + 1, 40) % 2 == 0 ? 1 : -1;
            if (sinceEdge >= 3 && sinceEdge <= 37) {
                assertEquals(expectedSign, Integer.signum(out[m]), "sample " + m + " wrapped");
            }
            max = Math.max(max, out[m]);
        }
        assertEquals(Short.MAX_VALUE, max);
    }

    @Test
    void reportsItsRates() {
        Resampler resampler = new Resampler(44100, 24000);
        assertEquals(44100, resampler.inRate());
        assertEquals(24000, resampler.outRate());
    }

    /** Gain in dB of a tone at {@code frequency}, measured at the same frequency in the output. */
    private static double passBandDb(int inRate, int outRate, int frequency) {
        short[] out = new Resampler(inRate, outRate).process(tone(inRate, frequency, 2 * inRate), 0, 2 * inRate);
        return db(amplitude(out, outRate / 2, outRate, frequency, outRate) / AMPLITUDE);
    }

    /**
     * Level in dB, relative to the input, of everything in the output but the tone itself: its
     * alias when the tone is beyond the output's Nyquist frequency, its images otherwise.
     * -Infinity when they round to exact silence, below half a 16-bit step.
     */
    private static double stopBandDb(int inRate, int outRate, int frequency) {
        short[] out = new Resampler(inRate, outRate).process(tone(inRate, frequency, 2 * inRate), 0, 2 * inRate);
        int from = outRate / 2;
        double sum = 0;
        // Beyond the output's Nyquist frequency the tone itself must be gone too, so nothing is fitted.
        double[] fit = 2 * frequency < outRate ? amplitudeFit(out, from, outRate, frequency, outRate) : new double[2];
        for (int m = from; m < from + outRate; m++) {
            double w = 2 * Math.PI * frequency * m / outRate;
            double residual = out[m] - fit[0] * Math.cos(w) - fit[1] * Math.sin(w);
            sum += residual * residual;
        }
        return db(Math.sqrt(sum / outRate) / (AMPLITUDE / Math.sqrt(2)));
    }

    private static short[] tone(int rate, double frequency, int length) {
        short[] samples = new short[length];
        for (int i = 0; i < length; i++) {
            samples[i] = (short) Math.round(AMPLITUDE * Math.sin(2 * Math.PI * frequency * i / rate));
        }
        return samples;
    }

    private static double amplitude(short[] x, int from, int len, double frequency, int rate) {
        double[] fit = amplitudeFit(x, from, len, frequency, rate);
        return Math.hypot(fit[0], fit[1]);
    }

    /** Cosine and sine amplitudes of one DFT bin; exact when the window holds whole periods. */
    private static double[] amplitudeFit(short[] x, int from, int len, double frequency, int rate) {
        double re = 0;
        double im = 0;
        for (int m = from; m < from + len; m++) {
            double w = 2 * Math.PI * frequency * m / rate;
            re += x[m] * Math.cos(w);
            im += x[m] * Math.sin(w);
        }
        return new double[] {2 * re / len, 2 * im / len};
    }

    private static double zeroCrossingFrequency(short[] x, int from, int len, int rate) {
        double first = -1;
        double last = -1;
        int crossings = 0;
        for (int m = from + 1; m < from + len; m++) {
            if ((x[m - 1] < 0) != (x[m] < 0)) {
                double t = m - 1 + (double) x[m - 1] / (x[m - 1] - x[m]);
                if (first < 0) {
                    first = t;
                }
                last = t;
                crossings++;
            }
        }
        return (crossings - 1) / 2.0 / ((last - first) / rate);
    }

    private static double db(double ratio) {
        return 20 * Math.log10(ratio);
    }
}
