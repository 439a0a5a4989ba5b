package dev.parley.realtime.pocketsphinx;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import java.util.Arrays;

/**
 * One native {@code ps_decoder_t} plus a small native sample buffer. Not thread-safe: owned by the
 * pool while idle and by exactly one stream while in use.
 *
 * <p>Next to the decoder runs a second front end ("shadow") with the decoder's own options except
 * {@code -remove_silence no}. The front end's cepstra do not depend on its VAD, so fed the same
 * samples, started and reset at the same points, the shadow computes exactly the cepstra the
 * decoder computed, silence included. They are kept for the current utterance so that its own
 * cepstral mean can be measured and the utterance decoded again with it ({@link #redecode}).
 */
final class NativeDecoder {

    /** Samples handed to {@code ps_process_raw} per call: one 10 ms frame shift at 16 kHz. */
    static final int BLOCK = 160;

    /**
     * Cepstra kept per utterance at most: 10 s. A longer utterance is not decoded again: that
     * would hold up its channel for 2 s or more, and live CMN has adapted during it anyway.
     */
    static final int MAX_KEPT_FRAMES = 1000;

    /**
     * Frames one shadow call may return: those its VAD holds back until {@code -vad_startspeech}
     * (at most 200) and the new one. More would take another call.
     */
    private static final int SHADOW_OUT = 202;

    private final PocketSphinx lib;
    private final int id;
    private final Memory block = new Memory(BLOCK * 2L);
    private Pointer ps;
    private final PocketSphinx.Cmn cmn;   // null if the layout check failed
    private final float[] cmnInit;
    private final int featWindow;

    private Pointer shadow;               // null if it could not be built
    private final int cepSize;
    private final Memory spchRef = new Memory(Native.POINTER_SIZE);
    private final Memory nsampsRef = new Memory(Native.SIZE_T_SIZE);
    private final IntByReference nframesRef = new IntByReference();
    private final Memory shadowCep;       // SHADOW_OUT frames
    private final Memory shadowCepRows;   // mfcc_t * of each of them

    // Cepstra of the current utterance, frames [keptFrom, keptFrom + kept) counted from startUtt.
    private float[] ceps = new float[0];
    private int keptFrom;
    private int kept;
    private boolean overflow;             // frames were dropped for MAX_KEPT_FRAMES

    private NativeDecoder(PocketSphinx lib, int id, Pointer ps) {
        this.lib = lib;
        this.id = id;
        this.ps = ps;
        PocketSphinx.Cmn c = liveCmn(lib, ps);
        this.cmn = c;
        this.featWindow = c == null ? 0 : new PocketSphinx.FeatPrefix(lib.ps_get_feat(ps)).window_size;
        this.cmnInit = c == null ? null : c.cmn_mean.getFloatArray(0, c.veclen);
        this.shadow = c == null ? null : shadowFrontEnd(lib, ps, c.veclen);
        this.cepSize = c == null ? 0 : c.veclen;
        this.shadowCep = shadow == null ? null : new Memory((long) SHADOW_OUT * cepSize * 4);
        this.shadowCepRows = shadow == null ? null : new Memory((long) SHADOW_OUT * Native.POINTER_SIZE);
        for (int i = 0; shadow != null && i < SHADOW_OUT; i++) {
            shadowCepRows.setPointer((long) i * Native.POINTER_SIZE, shadowCep.share((long) i * cepSize * 4));
        }
    }

    /**
     * The live cepstral-mean state of a fresh decoder, if the installed sphinxbase has the layout
     * this binding was written against (checked: 13 cepstra, matching veclen, a plausible C0 mean
     * from the model's -cmninit); null otherwise, and streams then inherit the previous stream's
     * CMN like pocketsphinx_continuous does.
     */
    private static PocketSphinx.Cmn liveCmn(PocketSphinx lib, Pointer ps) {
        try {
            Pointer feat = lib.ps_get_feat(ps);
            if (feat == null) {
                return null;
            }
            PocketSphinx.FeatPrefix f = new PocketSphinx.FeatPrefix(feat);
            if (f.cepsize < 1 || f.cepsize > 64 || f.cmn_struct == null) {
                return null;
            }
            PocketSphinx.Cmn c = new PocketSphinx.Cmn(f.cmn_struct);
            if (c.veclen != f.cepsize || c.cmn_mean == null || c.sum == null || c.nframe < 0) {
                return null;
            }
            float c0 = c.cmn_mean.getFloat(0);
            return Float.isFinite(c0) && Math.abs(c0) < 1000 ? c : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * A front end built from the decoder's own configuration (so with the model's feat.params)
     * but without silence removal; null if that fails. The option is flipped only for the
     * duration of fe_init_auto_r, which reads the options once; the decoder's own front end was
     * built before and never reads them again.
     */
    private static Pointer shadowFrontEnd(PocketSphinx lib, Pointer ps, int cepSize) {
        Pointer config = lib.ps_get_config(ps);
        if (config == null) {
            return null;
        }
        NativeLong removeSilence = lib.cmd_ln_int_r(config, "-remove_silence");
        lib.cmd_ln_set_int_r(config, "-remove_silence", new NativeLong(0));
        Pointer fe;
        try {
            fe = lib.fe_init_auto_r(config);
        } finally {
            lib.cmd_ln_set_int_r(config, "-remove_silence", removeSilence);
        }
        if (fe != null && lib.fe_get_output_size(fe) != cepSize) {
            lib.fe_free(fe);
            return null;
        }
        return fe;
    }

    /**
     * Builds a decoder (0.25-1 s and ~90 MB for the en-us model). Each decoder gets its own
     * {@code cmd_ln_t}: ps_init writes model paths into the config it is given, so sharing one
     * between decoders built in parallel would race.
     */
    static NativeDecoder build(PocketSphinx lib, String[] args, int id) {
        Pointer config = parse(lib, args);
        if (config == null) {
            throw new IllegalStateException("PocketSphinx rejected its arguments " + String.join(" ", args)
                    + "; check " + PocketSphinxSettings.key("extra-args") + " (set "
                    + PocketSphinxSettings.key("log-file") + " to see the library's message)");
        }
        Pointer ps;
        try {
            ps = lib.ps_init(config);
        } finally {
            lib.cmd_ln_free_r(config); // the decoder keeps its own reference
        }
        if (ps == null) {
            throw new IllegalStateException("ps_init failed for " + String.join(" ", args)
                    + "; check the model files (set " + PocketSphinxSettings.key("log-file")
                    + " to see the library's message)");
        }
        return new NativeDecoder(lib, id, ps);
    }

    /** Parses arguments as ps_init would see them; null if PocketSphinx rejects them. */
    static Pointer parse(PocketSphinx lib, String[] args) {
        return lib.cmd_ln_parse_r(null, lib.ps_args(), args.length, args, 1);
    }

    int id() {
        return id;
    }

    /**
     * True if this binding can set the live CMN and measure an utterance's own cepstral mean
     * (the sphinxbase layout check passed and the shadow front end was built).
     */
    boolean cmnControl() {
        return shadow != null;
    }

    /**
     * Frames of context the dynamic features need on either side (3 for the en-us model's
     * 1s_c_d_dd). Only flushing an utterance (with a partial frame) searches its last ones: an
     * utterance the VAD ended leaves them unsearched.
     */
    int featureWindow() {
        return featWindow;
    }

    /** The model's {@code -cmninit} mean, as the decoder had it when built. Requires control. */
    float[] cmnInit() {
        return cmnInit == null ? null : cmnInit.clone();
    }

    /** The live CMN mean now. Requires {@link #cmnControl()}. */
    float[] cmnMean() {
        return cmn.cmn_mean.getFloatArray(0, cepSize);
    }

    /** Sets the live CMN mean, weighted as 500 frames when it is next updated. Requires control. */
    void setCmn(float[] mean) {
        lib.cmn_live_set(cmn.getPointer(), mean);
    }

    void startStream() {
        lib.ps_start_stream(ps);
        if (shadow != null) {
            lib.fe_start_stream(shadow);
        }
    }

    void startUtt() {
        check(lib.ps_start_utt(ps), "ps_start_utt");
        if (shadow != null) {
            lib.fe_start_utt(shadow);
            keptFrom = 0;
            kept = 0;
            overflow = false;
        }
    }

    /** Feeds {@code n <= BLOCK} samples from {@code samples[off..]}. */
    void process(short[] samples, int off, int n) {
        block.write(0, samples, off, n);
        int rv = lib.ps_process_raw(ps, block, new PocketSphinx.SizeT(n), 0, 0);
        if (rv < 0) {
            throw new IllegalStateException("ps_process_raw failed (" + rv + ") on decoder " + id);
        }
        if (shadow != null) {
            spchRef.setPointer(0, block);
            setSize(nsampsRef, n);
            while (true) { // more than one round only if the shadow's pre-speech buffer overflows ours
                nframesRef.setValue(SHADOW_OUT);
                if (lib.fe_process_frames(shadow, spchRef, nsampsRef, shadowCepRows, nframesRef, null) < 0) {
                    throw new IllegalStateException("fe_process_frames failed on decoder " + id);
                }
                int out = nframesRef.getValue();
                keep(out);
                if (out == 0 || getSize(nsampsRef) == 0 && out < SHADOW_OUT) {
                    break;
                }
            }
        }
    }

    boolean inSpeech() {
        return lib.ps_get_in_speech(ps) != 0;
    }

    void endUtt() {
        check(lib.ps_end_utt(ps), "ps_end_utt");
        if (shadow != null) {
            // The decoder's front end turns a trailing partial frame into one more frame, too.
            lib.fe_end_utt(shadow, shadowCep, nframesRef);
            keep(nframesRef.getValue());
        }
    }

    /** Number of frames the front end has computed in this utterance (index after the last). */
    int framesComputed() {
        return keptFrom + kept;
    }

    /** Lets go of the cepstra of frames before {@code frame} (counted from startUtt). */
    void forgetFramesBefore(int frame) {
        int drop = Math.min(kept, frame - keptFrom);
        if (drop > 0) {
            System.arraycopy(ceps, drop * cepSize, ceps, 0, (kept - drop) * cepSize);
            keptFrom += drop;
            kept -= drop;
        }
    }

    /**
     * Mean of the cepstra of frames [from, to) of this utterance, skipping frames of negative C0
     * as sphinxbase's CMN does, and how many counted; null if those frames are not all kept.
     */
    UtteranceMean utteranceMean(int from, int to) {
        if (overflow || from < keptFrom || to > keptFrom + kept || from >= to) {
            return null;
        }
        double[] sum = new double[cepSize];
        int n = 0;
        for (int f = from; f < to; f++) {
            int base = (f - keptFrom) * cepSize;
            if (ceps[base] < 0) {
                continue;
            }
            for (int i = 0; i < cepSize; i++) {
                sum[i] += ceps[base + i];
            }
            n++;
        }
        if (n == 0) {
            return null;
        }
        float[] mean = new float[cepSize];
        for (int i = 0; i < cepSize; i++) {
            mean[i] = (float) (sum[i] / n);
        }
        return new UtteranceMean(mean, n);
    }

    /** Cepstral mean of an utterance and the number of frames it counts. */
    record UtteranceMean(float[] mean, int frames) {}

    /**
     * Decodes frames [from, to) of the utterance just ended again, as one block, with the live
     * CMN set to {@code mean}; the hypothesis and segmentation then are this pass's. The
     * library's stream frame offset is left as the first pass set it, so segment frames map the
     * same way. Leaves the live CMN updated by these frames and no utterance open.
     */
    void redecode(int from, int to, float[] mean) {
        int n = to - from;
        Memory data = new Memory((long) n * cepSize * 4);
        data.write(0, ceps, (from - keptFrom) * cepSize, n * cepSize);
        Memory rows = new Memory((long) n * Native.POINTER_SIZE);
        for (int i = 0; i < n; i++) {
            rows.setPointer((long) i * Native.POINTER_SIZE, data.share((long) i * cepSize * 4));
        }
        check(lib.ps_start_utt(ps), "ps_start_utt");
        setCmn(mean);
        int rv = lib.ps_process_cep(ps, rows, n, 0, 1);
        check(lib.ps_end_utt(ps), "ps_end_utt");
        check(rv, "ps_process_cep");
    }

    /** The raw hypothesis, or "" if none. */
    String hyp() {
        String h = lib.ps_get_hyp(ps, null);
        return h == null ? "" : h;
    }

    /**
     * One word of the segmentation, frames as returned by ps_seg_frames, and its posterior probability
     * (1 where the library computed none: before the utterance ended, or with {@code -bestpath no}).
     */
    record Segment(String word, int startFrame, int endFrame, double posterior) {}

    /** The segmentation of the current hypothesis (fillers included), in order. */
    java.util.List<Segment> segments() {
        java.util.List<Segment> out = new java.util.ArrayList<>();
        IntByReference sf = new IntByReference();
        IntByReference ef = new IntByReference();
        IntByReference ascr = new IntByReference();
        IntByReference lscr = new IntByReference();
        IntByReference lback = new IntByReference();
        Pointer logmath = lib.ps_get_logmath(ps);
        for (Pointer seg = lib.ps_seg_iter(ps); seg != null; seg = lib.ps_seg_next(seg)) {
            lib.ps_seg_frames(seg, sf, ef);
            String w = lib.ps_seg_word(seg);
            double posterior = Math.min(1, lib.logmath_exp(logmath, lib.ps_seg_prob(seg, ascr, lscr, lback)));
            out.add(new Segment(w == null ? "" : w, sf.getValue(), ef.getValue(), posterior));
        }
        return out;
    }

    /** Frames searched in the current (or just ended) utterance. */
    int frames() {
        return lib.ps_get_n_frames(ps);
    }

    void free() {
        if (shadow != null) {
            lib.fe_free(shadow);
            shadow = null;
        }
        if (ps != null) {
            lib.ps_free(ps);
            ps = null;
        }
    }

    /** Appends the first {@code n} frames of the shadow's output to the utterance's cepstra. */
    private void keep(int n) {
        if (n <= 0) {
            return;
        }
        if (overflow || kept + n > MAX_KEPT_FRAMES) {
            overflow = true;
            keptFrom += kept + n; // still count frames, so framesComputed stays right
            kept = 0;
            return;
        }
        if ((kept + n) * cepSize > ceps.length) {
            ceps = Arrays.copyOf(ceps, Math.max((kept + n) * cepSize, ceps.length * 2));
        }
        shadowCep.read(0, ceps, kept * cepSize, n * cepSize);
        kept += n;
    }

    private static void setSize(Memory m, long v) {
        if (Native.SIZE_T_SIZE == 8) {
            m.setLong(0, v);
        } else {
            m.setInt(0, (int) v);
        }
    }

    private static long getSize(Memory m) {
        return Native.SIZE_T_SIZE == 8 ? m.getLong(0) : m.getInt(0);
    }

    private void check(int rv, String what) {
        if (rv < 0) {
            throw new IllegalStateException(what + " failed (" + rv + ") on decoder " + id);
        }
    }
}
