package dev.parley.realtime.pocketsphinx;

/**
 * The cepstral mean that streams of one kind of audio start from, learnt from the utterances of
 * earlier streams of that kind; shared by those streams, so thread-safe.
 *
 * <p>It is the frame-weighted mean of the utterances' own cepstral means, the weight of the past
 * capped at {@value #MEMORY_FRAMES} frames so that it follows a changing mix of callers. Until it
 * has heard {@value #INFORMED_FRAMES} frames it is a guess: the model's {@code -cmninit} at first,
 * which is far from telephone audio (and from loud wide-band audio).
 */
final class CmnPrior {

    /** Weight of the past: 30 s of utterances. */
    static final int MEMORY_FRAMES = 3000;

    /** Frames heard before the prior is more than a guess: 3 s. */
    static final int INFORMED_FRAMES = 300;

    /** What a stream starts from: the mean, and whether it is informed by streams of its kind. */
    record Start(float[] mean, boolean informed) {}

    private final float[] mean;
    private int weight;

    CmnPrior(float[] cmnInit) {
        this.mean = cmnInit.clone();
    }

    synchronized Start start() {
        return new Start(mean.clone(), weight >= INFORMED_FRAMES);
    }

    /** Folds in an utterance's own mean over {@code frames} frames. */
    synchronized void learn(float[] utteranceMean, int frames) {
        double w = (double) frames / (weight + frames);
        for (int i = 0; i < mean.length; i++) {
            mean[i] += (float) ((utteranceMean[i] - mean[i]) * w);
        }
        weight = Math.min(MEMORY_FRAMES, weight + frames);
    }
}
