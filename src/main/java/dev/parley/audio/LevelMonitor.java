package dev.parley.audio;

/**
 * Watches a channel's input level for the two faults a person can fix at the microphone: audio that
 * stays silent (wrong device, muted, broken PCM conversion) and audio that stays clipped (gain too
 * high). It looks at 100 ms blocks. Silence is reported once every block of the window was silent;
 * clipping once at least half the blocks of the window were clipped, since speech pauses between
 * words. Each is reported again only after the input has been healthy in between.
 */
public final class LevelMonitor {

    /** What the monitor found. */
    public enum Fault { SILENT, CLIPPED }

    /** RMS below this (about -60 dBFS) counts as silence. */
    private static final double SILENT_RMS = 32.0;
    /** A sample at or beyond this magnitude is at full scale. */
    private static final int CLIP_LEVEL = 32_000;
    /** A block with at least this share of full-scale samples is clipped. */
    private static final double CLIPPED_SHARE = 0.005;

    private final int blockSamples;
    private final int windowBlocks;
    private double sumSquares;
    private int clippedSamples;
    private int samplesInBlock;
    private int silentRun;
    private final boolean[] clippedBlocks;
    private int clippedInWindow;
    private int block;
    private boolean silentReported;
    private boolean clippedReported;

    public LevelMonitor(int sampleRate, int windowMillis) {
        this.blockSamples = sampleRate / 10;
        this.windowBlocks = Math.max(1, windowMillis / 100);
        this.clippedBlocks = new boolean[windowBlocks];
    }

    /** Takes samples in order; returns a fault that has just lasted the whole window, or null. */
    public Fault accept(short[] samples, int length) {
        Fault found = null;
        for (int i = 0; i < length; i++) {
            int s = samples[i];
            sumSquares += (double) s * s;
            if (s >= CLIP_LEVEL || s <= -CLIP_LEVEL) {
                clippedSamples++;
            }
            if (++samplesInBlock == blockSamples) {
                Fault f = endBlock();
                if (f != null) {
                    found = f;
                }
            }
        }
        return found;
    }

    private Fault endBlock() {
        boolean silent = Math.sqrt(sumSquares / samplesInBlock) < SILENT_RMS;
        boolean clipped = clippedSamples >= CLIPPED_SHARE * samplesInBlock;
        sumSquares = 0;
        clippedSamples = 0;
        samplesInBlock = 0;
        silentRun = silent ? silentRun + 1 : 0;
        int slot = block++ % windowBlocks;
        clippedInWindow += (clipped ? 1 : 0) - (clippedBlocks[slot] ? 1 : 0);
        clippedBlocks[slot] = clipped;
        boolean clippedWindow = block >= windowBlocks && clippedInWindow * 2 >= windowBlocks;
        if (!silent) {
            silentReported = false;
        }
        if (clippedInWindow == 0) {
            clippedReported = false;
        }
        if (silentRun >= windowBlocks && !silentReported) {
            silentReported = true;
            return Fault.SILENT;
        }
        if (clippedWindow && !clippedReported) {
            clippedReported = true;
            return Fault.CLIPPED;
        }
        return null;
    }
}
