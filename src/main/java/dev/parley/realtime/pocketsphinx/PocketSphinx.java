package dev.parley.realtime.pocketsphinx;

import com.sun.jna.IntegerType;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;

/**
 * JNA binding to the parts of PocketSphinx 5prealpha ({@code libpocketsphinx.so.3}) and SphinxBase
 * ({@code libsphinxbase.so.3}) that the recognizer uses. Libraries are loaded by SONAME, so only
 * the runtime packages ({@code libpocketsphinx3}, {@code libsphinxbase3}) are needed, not -dev.
 *
 * <p>The SphinxBase functions are resolved through the PocketSphinx handle: {@code dlsym} on a
 * library handle also searches that library's dependencies, and libsphinxbase is one.
 *
 * <p>A decoder ({@code ps_decoder_t*}) must only be used by one thread at a time; distinct decoders
 * may run in parallel.
 */
public interface PocketSphinx extends Library {

    /** SONAME of the PocketSphinx runtime library. */
    String LIBRARY = "libpocketsphinx.so.3";

    /** SONAME of the SphinxBase runtime library (a dependency of {@link #LIBRARY}). */
    String SPHINXBASE = "libsphinxbase.so.3";

    /** The loaded library; throws {@link UnsatisfiedLinkError} with an install hint if missing. */
    static PocketSphinx get() {
        return Holder.INSTANCE;
    }

    // ---- pocketsphinx.h -------------------------------------------------------------------

    /** {@code arg_t const *ps_args(void)}: the argument definitions for {@link #cmd_ln_parse_r}. */
    Pointer ps_args();

    /** {@code ps_decoder_t *ps_init(cmd_ln_t *config)}; retains config. NULL on failure. */
    Pointer ps_init(Pointer config);

    /** {@code int ps_free(ps_decoder_t *ps)}. */
    int ps_free(Pointer ps);

    /** {@code int ps_start_stream(ps_decoder_t *ps)}: resets noise statistics and sample counts. */
    int ps_start_stream(Pointer ps);

    /** {@code int ps_start_utt(ps_decoder_t *ps)}; also resets the front end's VAD state. */
    int ps_start_utt(Pointer ps);

    /** {@code int ps_process_raw(ps, int16 const *data, size_t n_samples, int no_search, int full_utt)}. */
    int ps_process_raw(Pointer ps, Pointer data, SizeT nSamples, int noSearch, int fullUtt);

    /** {@code int ps_end_utt(ps_decoder_t *ps)}. */
    int ps_end_utt(Pointer ps);

    /** {@code char const *ps_get_hyp(ps, int32 *out_best_score)}; owned by the decoder, may be NULL. */
    String ps_get_hyp(Pointer ps, IntByReference outBestScore);

    /** {@code uint8 ps_get_in_speech(ps)}: the front end's VAD state after the last processed frame. */
    byte ps_get_in_speech(Pointer ps);

    /** {@code int ps_get_n_frames(ps)}: frames searched in this utterance (speech frames only). */
    int ps_get_n_frames(Pointer ps);

    /** {@code feat_t *ps_get_feat(ps)}: the decoder's feature computation (owned by the decoder). */
    Pointer ps_get_feat(Pointer ps);

    /** {@code cmd_ln_t *ps_get_config(ps)}: the decoder's configuration, model's feat.params merged in. */
    Pointer ps_get_config(Pointer ps);

    /**
     * {@code int ps_process_cep(ps, mfcc_t **data, int32 n_frames, int no_search, int full_utt)}:
     * decodes cepstra (before CMN, which it applies in place); returns frames searched or < 0.
     */
    int ps_process_cep(Pointer ps, Pointer data, int nFrames, int noSearch, int fullUtt);

    /** {@code ps_seg_t *ps_seg_iter(ps)}: word segmentation of the best hypothesis, or NULL. */
    Pointer ps_seg_iter(Pointer ps);

    /** {@code ps_seg_t *ps_seg_next(ps_seg_t *seg)}; frees the iterator and returns NULL at the end. */
    Pointer ps_seg_next(Pointer seg);

    /** {@code char const *ps_seg_word(ps_seg_t *seg)}. */
    String ps_seg_word(Pointer seg);

    /**
     * {@code void ps_seg_frames(seg, int *out_sf, int *out_ef)}. In 5prealpha these are offset by
     * an internal "stream offset" that is only updated when positive, so use them relative to
     * each other.
     */
    void ps_seg_frames(Pointer seg, IntByReference outSf, IntByReference outEf);

    /**
     * {@code int32 ps_seg_prob(seg, int32 *out_ascr, int32 *out_lscr, int32 *out_lback)}: the word's
     * log posterior probability (in the decoder's log base), computed from the lattice when the
     * utterance has ended and {@code -bestpath} is on; 0 (probability 1) otherwise.
     */
    int ps_seg_prob(Pointer seg, IntByReference outAscr, IntByReference outLscr, IntByReference outLback);

    /** {@code logmath_t *ps_get_logmath(ps)}: the decoder's log base (owned by the decoder). */
    Pointer ps_get_logmath(Pointer ps);

    /** {@code float64 logmath_exp(logmath_t *lmath, int logb_p)}: a log value back to a probability. */
    double logmath_exp(Pointer logmath, int logValue);

    /** {@code void ps_seg_free(ps_seg_t *seg)}: for an iterator abandoned before its end. */
    void ps_seg_free(Pointer seg);

    // ---- sphinxbase/cmd_ln.h, err.h -------------------------------------------------------

    /**
     * {@code cmd_ln_t *cmd_ln_parse_r(cmd_ln_t *inout, arg_t const *defn, int32 argc, char *argv[],
     * int32 strict)}. NULL on error (unknown option in strict mode, bad value, missing required).
     */
    Pointer cmd_ln_parse_r(Pointer inout, Pointer defn, int argc, String[] argv, int strict);

    /** {@code int cmd_ln_free_r(cmd_ln_t *cmdln)}: drops one reference. */
    int cmd_ln_free_r(Pointer cmdln);

    /** {@code long cmd_ln_int_r(cmd_ln_t *cmdln, char const *name)}: also reads boolean options. */
    NativeLong cmd_ln_int_r(Pointer cmdln, String name);

    /** {@code void cmd_ln_set_int_r(cmd_ln_t *cmdln, char const *name, long iv)}: also sets booleans. */
    void cmd_ln_set_int_r(Pointer cmdln, String name, NativeLong value);

    // ---- sphinxbase/fe.h, cmn.h ---------------------------------------------------------

    /** {@code fe_t *fe_init_auto_r(cmd_ln_t *config)}: a front end; reads the options once, retains config. */
    Pointer fe_init_auto_r(Pointer config);

    /** {@code void fe_start_stream(fe_t *fe)}: resets the noise statistics and sample count. */
    void fe_start_stream(Pointer fe);

    /** {@code int fe_start_utt(fe_t *fe)}: drops the partial frame and resets the VAD state. */
    int fe_start_utt(Pointer fe);

    /**
     * {@code int fe_process_frames(fe, int16 const **inout_spch, size_t *inout_nsamps,
     * mfcc_t **buf_cep, int32 *inout_nframes, int32 *out_frameidx)}: advances *inout_spch and
     * decrements *inout_nsamps by what it consumed; *inout_nframes is capacity in, frames out.
     */
    int fe_process_frames(Pointer fe, Pointer inoutSpch, Pointer inoutNsamps, Pointer bufCep,
            IntByReference inoutNframes, Pointer outFrameidx);

    /** {@code int fe_end_utt(fe, mfcc_t *out_cepvector, int32 *out_nframes)}: the last partial frame. */
    int fe_end_utt(Pointer fe, Pointer outCepvector, IntByReference outNframes);

    /** {@code int fe_get_output_size(fe_t *fe)}: values per frame (cepstra). */
    int fe_get_output_size(Pointer fe);

    /** {@code int fe_free(fe_t *fe)}. */
    int fe_free(Pointer fe);

    /**
     * {@code void cmn_live_set(cmn_t *cmn, mfcc_t const *vec)}: live CMN mean := vec, weighted as
     * {@code CMN_WIN} (500) frames against the frames that follow.
     */
    void cmn_live_set(Pointer cmn, float[] vec);

    /** {@code void err_set_logfp(FILE *stream)}: NULL disables all logging of the C libraries. */
    void err_set_logfp(Pointer stream);

    /** {@code int err_set_logfile(char const *path)}: appends the C libraries' log to a file. */
    int err_set_logfile(String path);

    /**
     * The leading fields of sphinxbase's public {@code feat_t} (feat.h, 5prealpha), up to
     * {@code cmn_struct}. Read-only use: to find the live CMN state of a decoder.
     */
    @Structure.FieldOrder({"refcount", "name", "cepsize", "n_stream", "stream_len", "window_size", "n_sv",
        "sv_len", "subvecs", "sv_buf", "sv_dim", "cmn", "varnorm", "agc", "compute_feat", "cmn_struct"})
    final class FeatPrefix extends Structure {
        public int refcount;
        public Pointer name;
        public int cepsize;
        public int n_stream;
        public Pointer stream_len;
        public int window_size;
        public int n_sv;
        public Pointer sv_len;
        public Pointer subvecs;
        public Pointer sv_buf;
        public int sv_dim;
        public int cmn;
        public int varnorm;
        public int agc;
        public Pointer compute_feat;
        public Pointer cmn_struct;

        public FeatPrefix(Pointer p) {
            super(p);
            read();
        }
    }

    /** sphinxbase's public {@code cmn_t} (cmn.h, 5prealpha); {@code mfcc_t} is float (no FIXED_POINT). */
    @Structure.FieldOrder({"cmn_mean", "cmn_var", "sum", "nframe", "veclen"})
    final class Cmn extends Structure {
        public Pointer cmn_mean;
        public Pointer cmn_var;
        public Pointer sum;
        public int nframe;
        public int veclen;

        public Cmn(Pointer p) {
            super(p);
            read();
        }
    }

    /** C {@code size_t}. */
    final class SizeT extends IntegerType {
        private static final long serialVersionUID = 1L;

        public SizeT() {
            this(0);
        }

        public SizeT(long value) {
            super(Native.SIZE_T_SIZE, value, true);
        }
    }

    /** Lazy holder so that merely referencing the interface does not load native code. */
    final class Holder {
        static final PocketSphinx INSTANCE = load();

        private Holder() {}

        private static PocketSphinx load() {
            try {
                // Load sphinxbase first (global) so its symbols resolve even on unusual linkers.
                NativeLibrary.getInstance(SPHINXBASE);
                return Native.load(LIBRARY, PocketSphinx.class);
            } catch (UnsatisfiedLinkError e) {
                UnsatisfiedLinkError error = new UnsatisfiedLinkError(
                        "Cannot load " + LIBRARY + " / " + SPHINXBASE
                                + " (install the Debian packages libpocketsphinx3 and libsphinxbase3,"
                                + " or add their directory to -Djna.library.path): " + e.getMessage());
                error.initCause(e);
                throw error;
            }
        }
    }
}
