package dev.parley.realtime.pocketsphinx;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The cepstral mean that streams of one kind of audio start from, learnt from earlier streams of
 * that kind; shared by those streams, so thread-safe.
 *
 * <p>Each stream is one voice among the last {@value #MEMBERS} streams that spoke, whatever it
 * says or for how long: its own frame-weighted mean of its utterances. The prior is the members'
 * coordinate-wise median. So one stream of odd audio (a band-passed line, a misconfigured client,
 * noise) cannot drag every later caller's recognition with it, as a mean over frames let a single
 * 25 s session do; a change in the mix of callers still shows once most recent streams share it.
 * Until {@value #INFORMED_STREAMS} streams have spoken it is a guess: the model's {@code -cmninit}
 * at first, which is far from telephone audio (and from loud wide-band audio).
 */
final class CmnPrior {

    /** Streams remembered: the prior follows the last 15 callers. */
    static final int MEMBERS = 15;

    /** Streams heard before the prior is more than a guess. */
    static final int INFORMED_STREAMS = 3;

    /** Speech a stream needs before it counts as a voice: 1 s. */
    static final int VOICE_FRAMES = 100;

    /** What a stream starts from: the mean, and whether it is informed by streams of its kind. */
    record Start(float[] mean, boolean informed) {}

    /** One stream's voice: the frame-weighted mean of its utterances so far. */
    static final class Voice {
        private final double[] sum;
        private long frames;

        Voice(int size) {
            this.sum = new double[size];
        }

        /** A voice as saved: its mean over {@code frames} frames. */
        static Voice of(float[] mean, long frames) {
            Voice v = new Voice(mean.length);
            v.add(mean, frames);
            return v;
        }

        private void add(float[] mean, long n) {
            for (int i = 0; i < sum.length; i++) {
                sum[i] += (double) mean[i] * n;
            }
            frames += n;
        }

        float[] mean() {
            float[] m = new float[sum.length];
            for (int i = 0; i < m.length; i++) {
                m[i] = (float) (sum[i] / Math.max(1, frames));
            }
            return m;
        }

        long frames() {
            return frames;
        }
    }

    private final float[] guess;
    private final ArrayDeque<Voice> members = new ArrayDeque<>(); // oldest first
    private float[] median;
    private long changes;

    CmnPrior(float[] cmnInit, List<Voice> saved) {
        this.guess = cmnInit.clone();
        for (Voice v : saved) {
            if (v.sum.length == guess.length && v.frames >= VOICE_FRAMES) {
                join(v);
            }
        }
        update();
        changes = 0; // what was read back, or the guess, is nothing new to save
    }

    synchronized Start start() {
        boolean informed = members.size() >= INFORMED_STREAMS;
        return new Start((informed ? median : guess).clone(), informed);
    }

    /** A new stream's voice, not yet a member: it joins once it has said enough. */
    Voice voice() {
        return new Voice(guess.length);
    }

    /** Folds an utterance's own mean over {@code frames} frames into its stream's voice. */
    synchronized void learn(Voice voice, float[] utteranceMean, int frames) {
        boolean member = members.contains(voice);
        voice.add(utteranceMean, frames);
        if (!member && voice.frames >= VOICE_FRAMES) {
            join(voice);
            member = true;
        }
        if (member) {
            update();
        }
    }

    /** The members, oldest first, to save. */
    synchronized List<Voice> members() {
        List<Voice> copy = new ArrayList<>();
        for (Voice v : members) {
            copy.add(Voice.of(v.mean(), v.frames));
        }
        return copy;
    }

    /** Counts every change of the members, so a saver can tell whether there is anything new. */
    synchronized long changes() {
        return changes;
    }

    private void join(Voice voice) {
        members.addLast(voice);
        if (members.size() > MEMBERS) {
            members.removeFirst();
        }
    }

    private void update() {
        changes++;
        if (members.isEmpty()) {
            median = guess.clone();
            return;
        }
        List<float[]> means = members.stream().map(Voice::mean).toList();
        median = new float[guess.length];
        float[] column = new float[means.size()];
        for (int i = 0; i < median.length; i++) {
            for (int k = 0; k < column.length; k++) {
                column[k] = means.get(k)[i];
            }
            Arrays.sort(column);
            int mid = column.length / 2;
            median[i] = column.length % 2 == 1 ? column[mid] : (column[mid - 1] + column[mid]) / 2;
        }
    }
}
