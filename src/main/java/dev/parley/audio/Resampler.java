package dev.parley.audio;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Streaming sample-rate converter for mono PCM16 at any ratio of integer rates.
 *
 * <p>Conceptually the input is upsampled by L, low-pass filtered and decimated by M, where L/M is
 * outRate/inRate in lowest terms; the filter is a Kaiser-windowed sinc evaluated as L polyphase
 * banks so that only the taps that meet non-zero samples are computed. The pass band (ripple under
 * 0.001 dB) ends at 90% of the lower Nyquist frequency and the stop band starts at that Nyquist
 * frequency, designed for 80 dB (79 dB at worst in practice), so neither aliases (downsampling) nor
 * images (upsampling) reach the output. Between the two, e.g. 3.6-4 kHz going 8 kHz to 16 kHz, the
 * response rolls off.
 *
 * <p>Every call to {@link #process} returns exactly as many samples as the input so far entitles
 * the caller to, {@code ceil(total in × L / M)} in total, whatever the chunking, and the output is
 * bit-for-bit the same however the input is split. The price is latency: output sample m carries
 * the signal at output time m − {@link #delay()}. To drain the filter at the end of a stream, feed
 * enough zeros to cover the delay.
 *
 * <p>Not thread-safe; use one instance per stream.
 */
public final class Resampler {

    private static final double STOP_BAND_DB = 80;
    private static final double PASS_BAND_FRACTION = 0.9;

    // The banks depend only on L and M and are read-only, so hundreds of streams at the same rates
    // share one copy instead of each holding its own.
    private static final Map<Long, Bank> BANKS = new ConcurrentHashMap<>();

    private final int inRate;
    private final int outRate;
    private final Bank bank;
    // Holds the last taps-1 input samples ahead of the current chunk, so filtering never has to
    // look outside one array.
    private double[] window;
    // Position of the next output on the upsampled time line, as the input index it falls at or
    // after (relative to the current chunk) and the polyphase branch it needs.
    private int index;
    private int phase;

    public Resampler(int inRate, int outRate) {
        if (inRate <= 0 || outRate <= 0) {
            throw new IllegalArgumentException("rates must be positive: " + inRate + " -> " + outRate);
        }
        this.inRate = inRate;
        this.outRate = outRate;
        int g = gcd(inRate, outRate);
        int up = outRate / g;
        int down = inRate / g;
        this.bank = up == down ? null : BANKS.computeIfAbsent(((long) up << 32) | down, k -> new Bank(up, down));
        this.window = bank == null ? null : new double[bank.taps - 1];
    }

    public int inRate() {
        return inRate;
    }

    public int outRate() {
        return outRate;
    }

    /** Group delay of the filter in output samples; 0 when the rates are equal. */
    public int delay() {
        return bank == null ? 0 : bank.delay;
    }

    /** Resamples {@code len} samples from {@code in[off]}, returning the output they complete. */
    public short[] process(short[] in, int off, int len) {
        if (bank == null) {
            short[] copy = new short[len];
            System.arraycopy(in, off, copy, 0, len);
            return copy;
        }
        int history = bank.taps - 1;
        if (window.length < history + len) {
            double[] grown = new double[history + len];
            System.arraycopy(window, 0, grown, 0, history);
            window = grown;
        }
        for (int i = 0; i < len; i++) {
            window[history + i] = in[off + i];
        }

        int up = bank.up;
        int down = bank.down;
        int taps = bank.taps;
        double[] coefficients = bank.coefficients;
        // Integer count of the outputs whose input index falls inside this chunk.
        long ahead = (long) (len - index) * up - phase;
        short[] out = new short[ahead <= 0 ? 0 : (int) ((ahead + down - 1) / down)];
        for (int n = 0; n < out.length; n++) {
            int c = phase * taps;
            double sum = 0;
            for (int k = 0; k < taps; k++) {
                sum += coefficients[c + k] * window[index + k];
            }
            long rounded = Math.round(sum);
            out[n] = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, rounded));
            phase += down;
            index += phase / up;
            phase %= up;
        }
        index -= len;
        System.arraycopy(window, len, window, 0, history);
        return out;
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /** The polyphase decomposition of the anti-aliasing filter for one ratio L/M. */
    private static final class Bank {
        final int up;
        final int down;
        final int taps;
        final int delay;
        // Branch p occupies [p*taps, (p+1)*taps), reversed so the inner loop walks the input forward.
        final double[] coefficients;

        Bank(int up, int down) {
            this.up = up;
            this.down = down;
            // Band edges as fractions of the upsampled rate.
            double stop = 0.5 / Math.max(up, down);
            double pass = PASS_BAND_FRACTION * stop;
            // Kaiser's estimate of the length for the attenuation and transition width.
            int estimate = (int) Math.ceil((STOP_BAND_DB - 7.95) / (14.36 * (stop - pass))) + 1;
            // Stretch the prototype so its centre lies a whole number of output samples back, which
            // makes delay() exact and lets callers realign timestamps without interpolating.
            this.delay = (estimate - 1 + 2 * down - 1) / (2 * down);
            int length = 2 * delay * down + 1;
            this.taps = (length + up - 1) / up;

            double centre = delay * down;
            double cutoff = (pass + stop) / 2;
            double beta = 0.1102 * (STOP_BAND_DB - 8.7);
            double[] prototype = new double[taps * up];
            double sum = 0;
            for (int n = 0; n < length; n++) {
                double t = n - centre;
                double sinc = t == 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
                double r = t / centre;
                prototype[n] = sinc * besselI0(beta * Math.sqrt(1 - r * r));
                sum += prototype[n];
            }
            // Gain L makes up for the zeros that upsampling stuffs between input samples.
            double scale = up / sum;

            this.coefficients = new double[up * taps];
            for (int p = 0; p < up; p++) {
                for (int k = 0; k < taps; k++) {
                    coefficients[p * taps + (taps - 1 - k)] = prototype[p + k * up] * scale;
                }
            }
        }

        private static double besselI0(double x) {
            double term = 1;
            double sum = 1;
            double quarterSquare = x * x / 4;
            for (int k = 1; term > 1e-17 * sum; k++) {
                term *= quarterSquare / ((double) k * k);
                sum += term;
            }
            return sum;
        }
    }
}
