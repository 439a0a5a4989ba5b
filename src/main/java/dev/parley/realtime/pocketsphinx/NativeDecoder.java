package dev.parley.realtime.pocketsphinx;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * One native {@code ps_decoder_t} plus a small native sample buffer. Not thread-safe: owned by the
 * pool while idle and by exactly one stream while in use.
 */
final class NativeDecoder {

    /** Samples handed to {@code ps_process_raw} per call: one 10 ms frame shift at 16 kHz. */
    static final int BLOCK = 160;

    private final PocketSphinx lib;
    private final int id;
    private final Memory block = new Memory(BLOCK * 2L);
    private Pointer ps;
    private final PocketSphinx.Cmn cmn;   // null if the layout check failed
    private final float[] cmnMean;
    private final float[] cmnSum;
    private final int cmnFrames;

    private NativeDecoder(PocketSphinx lib, int id, Pointer ps) {
        this.lib = lib;
        this.id = id;
        this.ps = ps;
        PocketSphinx.Cmn c = liveCmn(lib, ps);
        this.cmn = c;
        this.cmnMean = c == null ? null : c.cmn_mean.getFloatArray(0, c.veclen);
        this.cmnSum = c == null ? null : c.sum.getFloatArray(0, c.veclen);
        this.cmnFrames = c == null ? 0 : c.nframe;
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
     * Puts the live CMN back to the decoder's state when it was built, so a stream's results do not
     * depend on what earlier streams on this decoder heard (or leak a previous caller's channel).
     */
    boolean cmnResettable() {
        return cmn != null;
    }

    boolean resetCmn() {
        if (cmn == null) {
            return false;
        }
        cmn.cmn_mean.write(0, cmnMean, 0, cmnMean.length);
        cmn.sum.write(0, cmnSum, 0, cmnSum.length);
        cmn.nframe = cmnFrames;
        cmn.writeField("nframe");
        return true;
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

    void startStream() {
        lib.ps_start_stream(ps);
    }

    void startUtt() {
        check(lib.ps_start_utt(ps), "ps_start_utt");
    }

    /** Feeds {@code n <= BLOCK} samples from {@code samples[off..]}. */
    void process(short[] samples, int off, int n) {
        block.write(0, samples, off, n);
        int rv = lib.ps_process_raw(ps, block, new PocketSphinx.SizeT(n), 0, 0);
        if (rv < 0) {
            throw new IllegalStateException("ps_process_raw failed (" + rv + ") on decoder " + id);
        }
    }

    boolean inSpeech() {
        return lib.ps_get_in_speech(ps) != 0;
    }

    void endUtt() {
        check(lib.ps_end_utt(ps), "ps_end_utt");
    }

    /** The raw hypothesis, or "" if none. */
    String hyp() {
        String h = lib.ps_get_hyp(ps, null);
        return h == null ? "" : h;
    }

    /** One word of the segmentation, frames as returned by ps_seg_frames. */
    record Segment(String word, int startFrame, int endFrame) {}

    /** The segmentation of the current hypothesis (fillers included), in order. */
    java.util.List<Segment> segments() {
        java.util.List<Segment> out = new java.util.ArrayList<>();
        com.sun.jna.ptr.IntByReference sf = new com.sun.jna.ptr.IntByReference();
        com.sun.jna.ptr.IntByReference ef = new com.sun.jna.ptr.IntByReference();
        for (Pointer seg = lib.ps_seg_iter(ps); seg != null; seg = lib.ps_seg_next(seg)) {
            lib.ps_seg_frames(seg, sf, ef);
            String w = lib.ps_seg_word(seg);
            out.add(new Segment(w == null ? "" : w, sf.getValue(), ef.getValue()));
        }
        return out;
    }

    int frames() {
        return lib.ps_get_n_frames(ps);
    }

    void free() {
        if (ps != null) {
            lib.ps_free(ps);
            ps = null;
        }
    }

    private void check(int rv, String what) {
        if (rv < 0) {
            throw new IllegalStateException(what + " failed (" + rv + ") on decoder " + id);
        }
    }
}
