package dev.parley.realtime.pocketsphinx;

import dev.parley.realtime.CapacityException;
import dev.parley.realtime.Confidence;
import dev.parley.realtime.RecognitionListener;
import dev.parley.realtime.RecognitionStream;
import dev.parley.realtime.WordTime;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * One channel on one pooled decoder, endpointed by PocketSphinx's own VAD
 * ({@code ps_get_in_speech}).
 *
 * <p>Audio goes to {@code ps_process_raw} in blocks of at most 160 samples (one 10 ms frame shift),
 * so the VAD state is read after every frame and transitions are located to the frame. The front
 * end needs {@code vad-start-speech-ms} of consecutive speech frames to enter speech and
 * {@code endpoint-silence-ms} of consecutive silence frames to leave it.
 *
 * <p>Offsets given to {@link RecognitionListener#complete} are those of the first and last
 * recognised word (ps_seg_iter, mapped back to this stream's samples), because the VAD's own
 * bounds are poor in 5prealpha: its noise estimate starts from the stream's first frame, so a stream
 * is "in speech" from its start until half a second of silence has been seen, and noise prolongs
 * the end. If the segmentation is unusable the VAD's bounds are used, with its delays undone (start
 * = first frame of the triggering speech run, end = last speech frame before the endpoint silence).
 * PocketSphinx's own frame counter cannot be used: with {@code -remove_silence yes} it skips
 * silence.
 *
 * <p>Partials: while in speech the hypothesis is read every 200 ms of audio and reported when it
 * changed, and re-reported if unchanged 800 ms after the last report, so a non-empty hypothesis is
 * reported at least once per second of speech.
 *
 * <p>Cepstral mean normalisation: the decoder's live CMN starts from the prior of the stream's kind
 * of audio ({@link CmnPrior}) and adapts as the library does. When an utterance ends its own mean
 * is measured on the shadow front end's cepstra ({@link NativeDecoder}) and taught to the prior.
 * If the mean the utterance was decoded with was a guess or far from its own, the utterance is
 * decoded again with its own mean before its final is delivered, at about the CPU cost of the
 * first pass (0.2x its duration): in practice the first utterance of the first streams of a kind,
 * or of an unusual caller. Partials are the first pass's.
 *
 * <p>Utterance numbers are assigned when the VAD enters speech and consumed only if a partial or
 * final was delivered under them, so the listener sees 0, 1, 2... without gaps. The listener also
 * hears where the VAD put speech: {@code speechStarted} when it enters speech (at the first frame
 * of the run that triggered it), {@code speechStopped} when the utterance ends (at its end as the
 * final reports it), then the final or {@code noResult}.
 *
 * <p>A stream opened on demand ({@link PocketSphinxRecognizer#openOnDemand}) holds a decoder only
 * while there may be speech. Without one, it keeps the last {@link #PREROLL_SAMPLES} of audio and
 * watches its energy ({@link SpeechGate}); audio clearly above the noise floor takes a decoder, which
 * starts a stream of its own (fresh VAD) on the kept audio, with this stream's own cepstral mean once
 * it has one (the prior of its kind before). After {@code release-after-ms} of audio without speech,
 * or when told that no audio has come for that long ({@link #idle}), the decoder goes back to the
 * pool. Times and utterance numbers are this stream's throughout, whichever decoders served it. If
 * no decoder is free when one is needed, the listener hears an error {@code capacity} and nothing
 * more is recognised.
 *
 * <p>Not thread-safe: one thread at a time, as {@link RecognitionStream} requires. Exceptions thrown
 * by the listener propagate out of {@link #accept}; the rest of that call's samples are dropped but
 * the stream stays usable.
 */
public final class PocketSphinxStream implements RecognitionStream {

    static final int SAMPLE_RATE = 16000;
    static final int FRAME_SHIFT = SAMPLE_RATE / 100;          // 160 samples, -frate 100
    static final int FRAME_SIZE = 410;                          // -wlen 0.025625 s at 16 kHz
    static final int PARTIAL_CHECK_SAMPLES = SAMPLE_RATE / 5;   // 200 ms
    static final int PARTIAL_REPEAT_SAMPLES = SAMPLE_RATE * 4 / 5; // 800 ms + a check <= 1 s

    private static final Pattern WS = Pattern.compile("\\s+");
    private static final Pattern ALT = Pattern.compile("\\(\\d+\\)$");

    /**
     * Distance between an utterance's own cepstral mean and the mean it was decoded with above
     * which it is decoded again, for utterances of {@link #SETTLED_FRAMES} or more. Measured on
     * the LibriVox files: utterances of one speaker and channel lie 8-24 apart (3-7 s each), the
     * model's -cmninit lies 30-45 from them at 16 kHz and ~88 at 8 kHz, a 16 kHz prior ~64 from
     * 8 kHz audio.
     */
    static final double FAR = 25;

    /** Shorter utterances have noisier means (0.5 s ones lie up to 48 apart): FAR grows as 1/sqrt. */
    static final int SETTLED_FRAMES = 300;

    /** Audio kept while no decoder is held, fed to the next one: covers the VAD's pre-speech and start. */
    static final int PREROLL_SAMPLES = SAMPLE_RATE / 2;

    private final PocketSphinxRecognizer owner;
    private final RecognitionListener listener;
    private final int sourceRate;
    private final boolean trusted;
    private final boolean onDemand;
    private final long releaseSamples;
    private NativeDecoder decoder;  // null while none is held (on demand), or after close
    private long decoderBase;       // value of fed when the decoder's stream started
    private CmnPrior prior;         // null without CMN control (or before the first decoder)
    private float[] ownCmn;         // the live CMN when the last decoder was given back
    private CmnPrior.Voice voice;   // this stream's say in the prior (with it)
    private boolean cmnGuessed;     // the live CMN is a prior not yet informed by this kind of audio
    private final SpeechGate gate = new SpeechGate();
    private final ArrayDeque<short[]> preroll = new ArrayDeque<>();
    private int prerollSamples;
    private long lastActivity;      // value of fed at the last speech (VAD) or loud audio (gate)
    private boolean refused;        // no decoder was free: nothing more is recognised
    private final int startSpeechFrames;
    private final int postSpeechFrames;
    private final int prespeechFrames;
    /** The library computes word posteriors (from the lattice of an ended utterance) only with -bestpath. */
    private final boolean posteriors;

    private boolean closed;
    private boolean uttStarted;     // ps_start_utt called, ps_end_utt not yet
    private long fed;               // samples fed to this stream
    private long uttBase;           // value of fed at the last ps_start_utt (front end frame 0)
    private long lastEnd;           // end sample of the previous utterance

    private boolean inSpeech;
    private long speechStart;       // start sample of the current utterance per the VAD
    private long uttFirstSample;    // first sample of the decoder's first frame of this utterance
    private int uttFirstFrame;      // the same frame, counted from ps_start_utt
    private float[] uttCmn;         // live CMN mean when this utterance started
    private long segOffset;         // the library's stream offset added by ps_seg_frames
    private int number;             // next utterance number
    private boolean numberUsed;     // a result was delivered under `number`
    private String lastPartial = "";
    private long lastCheck;
    private long lastEmit;

    /**
     * A stream without a decoder yet: {@link #attach()} takes one now (a stream that holds it until
     * closed), or, {@code onDemand}, the stream takes one when speech may have begun.
     */
    PocketSphinxStream(PocketSphinxRecognizer owner, RecognitionListener listener, PocketSphinxSettings settings,
            int sourceRate, boolean trusted, boolean onDemand) {
        this.owner = owner;
        this.listener = listener;
        this.sourceRate = sourceRate;
        this.trusted = trusted;
        this.onDemand = onDemand;
        this.releaseSamples = (long) settings.releaseAfterMs() * SAMPLE_RATE / 1000;
        this.startSpeechFrames = settings.vadStartSpeechFrames();
        this.postSpeechFrames = settings.vadPostspeechFrames();
        this.prespeechFrames = settings.vadPrespeechFrames();
        this.posteriors = settings.bestpath();
    }

    /**
     * Takes a decoder and starts its stream at the current position, its live CMN set to this
     * stream's own mean, or else to the prior of its kind of audio.
     *
     * @throws CapacityException if none may be had now
     */
    void attach() throws CapacityException {
        NativeDecoder d = owner.acquire(trusted);
        try {
            d.startStream();
            if (d.cmnControl()) {
                if (prior == null) {
                    prior = owner.prior(sourceRate, d);
                    voice = prior.voice();
                }
                if (ownCmn != null) {
                    d.setCmn(ownCmn);
                } else {
                    CmnPrior.Start start = prior.start();
                    d.setCmn(start.mean());
                    cmnGuessed = !start.informed();
                }
            }
        } catch (RuntimeException e) {
            owner.release(d, true, trusted);
            throw e;
        }
        decoder = d;
        decoderBase = fed;
        segOffset = 0; // the library's stream offset starts again with the decoder's stream
        uttStarted = false;
        inSpeech = false;
        lastActivity = fed;
    }

    /** Gives the decoder back between utterances, keeping its live CMN as this stream's own. */
    private void detach() {
        NativeDecoder d = decoder;
        decoder = null;
        boolean clean = true;
        try {
            if (uttStarted) {
                uttStarted = false;
                inSpeech = false;
                d.endUtt(); // nothing was searched: the VAD let no frames through since the last one
            }
            if (prior != null) {
                ownCmn = d.cmnMean();
            }
        } catch (RuntimeException e) {
            clean = false;
        }
        owner.release(d, !clean, trusted);
    }

    @Override
    public void accept(short[] samples, int length) {
        Objects.requireNonNull(samples, "samples");
        if (length < 0 || length > samples.length) {
            throw new IllegalArgumentException("length " + length + " outside 0.." + samples.length);
        }
        ensureOpen();
        for (int off = 0; off < length; off += NativeDecoder.BLOCK) {
            int n = Math.min(NativeDecoder.BLOCK, length - off);
            boolean loud = gate.loud(samples, off, n);
            if (decoder == null) {
                if (!onDemand || refused) {
                    fed += n;
                    continue;
                }
                keep(samples, off, n);
                if (loud) {
                    try {
                        attach();
                    } catch (CapacityException e) {
                        refused = true;
                        preroll.clear();
                        prerollSamples = 0;
                        listener.error("capacity", "No recognizer is free for this channel: " + e.getMessage());
                        continue;
                    }
                    replayPreroll();
                }
                continue;
            }
            process(samples, off, n);
            if (loud || inSpeech) {
                lastActivity = fed;
            }
            if (onDemand && !inSpeech && fed - lastActivity >= releaseSamples) {
                detach();
            }
        }
    }

    /** One block (at most {@link NativeDecoder#BLOCK} samples) through the decoder, and what its VAD says. */
    private void process(short[] samples, int off, int n) {
        if (!uttStarted) {
            startUtt();
        }
        decoder.process(samples, off, n);
        fed += n;
        boolean vad = decoder.inSpeech();
        if (vad && !inSpeech) {
            speechStarted();
        } else if (!vad && inSpeech) {
            speechEnded();
        } else if (inSpeech && fed - lastCheck >= PARTIAL_CHECK_SAMPLES) {
            maybePartial();
        }
        if (!inSpeech && uttStarted) {
            // Only the pre-speech frames can still become part of an utterance.
            decoder.forgetFramesBefore((int) lastFrame() - prespeechFrames - 1);
        }
    }

    /** Keeps a block while no decoder is held: the last {@link #PREROLL_SAMPLES} of them. */
    private void keep(short[] samples, int off, int n) {
        preroll.add(java.util.Arrays.copyOfRange(samples, off, off + n));
        prerollSamples += n;
        fed += n;
        while (prerollSamples - preroll.peek().length >= PREROLL_SAMPLES) {
            prerollSamples -= preroll.poll().length;
        }
    }

    /** Feeds the kept audio to the decoder just taken, at its place in this stream. */
    private void replayPreroll() {
        fed -= prerollSamples;
        decoderBase = fed;
        lastActivity = fed + prerollSamples;
        prerollSamples = 0;
        while (!preroll.isEmpty() && decoder != null) {
            short[] block = preroll.poll();
            process(block, 0, block.length);
        }
        preroll.clear();
    }

    @Override
    public void flush() {
        ensureOpen();
        if (!uttStarted) {
            return;
        }
        if (inSpeech) {
            finish(fed, -1);
        } else {
            uttStarted = false;
            decoder.endUtt(); // nothing was searched: the VAD never let frames through
        }
    }

    /** Ends the utterance in progress as if the speaker had paused; the stream goes on. */
    @Override
    public CompletionStage<Void> commit() {
        flush();
        return CompletableFuture.completedFuture(null);
    }

    /** Discards the utterance in progress without searching it; the stream goes on. */
    @Override
    public void clear() {
        ensureOpen();
        if (!uttStarted) {
            return;
        }
        boolean announced = inSpeech;
        uttStarted = false;
        inSpeech = false;
        decoder.endUtt();
        lastEnd = fed;
        int n = number;
        if (numberUsed) {
            number++;
        }
        numberUsed = false;
        if (announced) {
            listener.noResult(n);
        }
    }

    /**
     * No audio has come for {@code millis}: once that is {@code release-after-ms}, a stream opened on
     * demand delivers the utterance in progress, if any, and gives its decoder back.
     */
    @Override
    public void idle(long millis) {
        ensureOpen();
        if (!onDemand || decoder == null || millis * SAMPLE_RATE / 1000 < releaseSamples) {
            return;
        }
        if (inSpeech) {
            finish(fed, -1);
        }
        detach();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (decoder == null) {
            return;
        }
        boolean clean = true;
        if (uttStarted) {
            uttStarted = false;
            try {
                decoder.endUtt(); // discard: the next user must start with a closed utterance
            } catch (RuntimeException e) {
                clean = false;
            }
        }
        owner.release(decoder, !clean, trusted);
        decoder = null;
    }

    /** True while the stream holds a decoder. */
    boolean holdsDecoder() {
        return decoder != null;
    }

    /** Samples fed so far. */
    public long samplesFed() {
        return fed;
    }

    /** Removes fillers and markers a hypothesis may carry: {@code <s> </s> <sil> [NOISE] ++UH++ (2)}. */
    static String clean(String hyp) {
        if (hyp == null || hyp.isBlank()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (String w : WS.split(hyp.trim())) {
            if (w.startsWith("<") && w.endsWith(">") || w.startsWith("[") && w.endsWith("]")
                    || w.startsWith("++") && w.endsWith("++")) {
                continue;
            }
            w = ALT.matcher(w).replaceFirst("");
            if (w.isEmpty()) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(w);
        }
        return sb.toString();
    }

    private void startUtt() {
        decoder.startUtt();
        uttStarted = true;
        uttBase = fed;
        inSpeech = false;
        if (prior != null) {
            uttCmn = decoder.cmnMean();
        }
    }

    /** Index (since uttBase) of the last frame the front end has computed. */
    private long lastFrame() {
        long n = fed - uttBase;
        return n < FRAME_SIZE ? -1 : (n - FRAME_SIZE) / FRAME_SHIFT;
    }

    private void speechStarted() {
        inSpeech = true;
        long trigger = lastFrame();
        long first = Math.max(0, trigger - startSpeechFrames + 1);
        speechStart = Math.max(lastEnd, Math.min(fed - 1, uttBase + first * FRAME_SHIFT));
        // The front end releases its pre-speech buffer: the searched utterance starts there.
        uttFirstFrame = (int) Math.max(0, trigger - prespeechFrames);
        uttFirstSample = uttBase + uttFirstFrame * FRAME_SHIFT;
        // Mirror of fe_check_prespeech/acmod_process_raw: the offset ps_seg_frames adds.
        long libOffset = (uttBase - decoderBase + trigger * FRAME_SHIFT + FRAME_SIZE) / FRAME_SHIFT - prespeechFrames;
        if (libOffset > 0) {
            segOffset = libOffset;
        }
        numberUsed = false;
        lastPartial = "";
        lastCheck = fed;
        lastEmit = fed;
        listener.speechStarted(number, toMs(speechStart));
    }

    private void speechEnded() {
        long lastSpeech = lastFrame() - postSpeechFrames;
        long end = uttBase + lastSpeech * FRAME_SHIFT + FRAME_SIZE;
        finish(end, (int) lastFrame());
        startUtt();
    }

    private void maybePartial() {
        lastCheck = fed;
        String text = clean(decoder.hyp());
        if (text.isEmpty()) {
            return;
        }
        if (!text.equals(lastPartial) || fed - lastEmit >= PARTIAL_REPEAT_SAMPLES) {
            lastPartial = text;
            lastEmit = fed;
            numberUsed = true;
            listener.partial(number, text);
        }
    }

    /**
     * Ends the decoder's utterance and delivers its final, if any; leaves no utterance open.
     * {@code endFrame}: the frame that ended speech (the front end passed on the frames before
     * it), or -1 when flushing (it passed on all it computed, the partial last one included).
     */
    private void finish(long endSample, int endFrame) {
        uttStarted = false;
        inSpeech = false;
        decoder.endUtt();
        if (prior != null) {
            learnCmn(endFrame < 0 ? decoder.framesComputed() : endFrame, endFrame < 0);
        }
        String text = clean(decoder.hyp());
        long start = speechStart;
        long end = endSample;
        java.util.List<Confidence.Word> words = text.isEmpty() ? java.util.List.of() : words();
        if (!words.isEmpty()) {
            // Word boundaries are tighter than the VAD's: at the start of a stream the VAD
            // reports speech until its noise estimate settles, and noise prolongs its end.
            start = Math.max(lastEnd, words.get(0).startMs() * SAMPLE_RATE / 1000);
            end = words.get(words.size() - 1).endMs() * SAMPLE_RATE / 1000;
        }
        start = Math.min(start, fed - 1);
        end = Math.min(fed, Math.max(end, start + FRAME_SHIFT));
        lastEnd = end;
        int n = number;
        boolean deliver = !text.isEmpty();
        if (deliver || numberUsed) {
            number++;
        }
        numberUsed = false;
        long endMs = Math.max(toMs(start) + 1, toMs(end));
        listener.speechStopped(n, endMs);
        if (deliver) {
            List<WordTime> times = wordTimes(words, text);
            if (times != null) {
                listener.wordTimes(n, times);
            }
            listener.complete(n, text, toMs(start), endMs, confidence(words));
        } else {
            listener.noResult(n);
        }
    }

    /**
     * Teaches the prior the utterance's own cepstral mean, first decoding the utterance again with
     * that mean (the per-utterance CMN of pocketsphinx_batch) if the mean it was decoded with was a
     * guess: an uninformed prior, or one far from this utterance (another channel or caller), far
     * meaning beyond how much the mean of that few frames varies anyway. Its partials stay the
     * first pass's. {@code endFrame}: the frame after the last one computed.
     */
    private void learnCmn(int endFrame, boolean flushed) {
        // The library leaves the last feature window unsearched unless a partial frame flushes it.
        int searched = endFrame - uttFirstFrame - (flushed ? 0 : decoder.featureWindow());
        if (searched != decoder.frames() - 1) { // ps_get_n_frames counts one more
            return; // not the frames this binding expects the library to have searched
        }
        NativeDecoder.UtteranceMean own = decoder.utteranceMean(uttFirstFrame, endFrame);
        if (own == null) {
            return; // too long
        }
        double far = FAR * Math.sqrt(Math.max(1.0, (double) SETTLED_FRAMES / own.frames()));
        if (cmnGuessed || distance(uttCmn, own.mean()) > far) {
            decoder.redecode(uttFirstFrame, endFrame, own.mean());
            decoder.setCmn(own.mean()); // the next utterance starts from this channel's mean
        }
        cmnGuessed = false;
        if (owner.learnsFromSessions()) {
            prior.learn(voice, own.mean(), own.frames());
        }
    }

    private static double distance(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(sum);
    }

    /**
     * The recognised words (fillers excluded) with their spans and posteriors, or none if the
     * segmentation is unusable. ps_seg_frames in 5prealpha adds the library's "stream offset": the
     * stream frame of the utterance's first frame, computed as (samples up to the end of the VAD
     * trigger frame) / 160 - prespeech and only updated when positive. That offset is recomputed in
     * {@link #speechStarted()} so word frames map back to this stream's samples exactly.
     */
    private java.util.List<Confidence.Word> words() {
        java.util.List<Confidence.Word> words = new java.util.ArrayList<>();
        long previousEnd = 0;
        for (NativeDecoder.Segment seg : decoder.segments()) {
            String word = clean(seg.word());
            if (word.isEmpty()) {
                continue;
            }
            long start = uttFirstSample + (seg.startFrame() - segOffset) * FRAME_SHIFT;
            long end = uttFirstSample + (seg.endFrame() - segOffset) * FRAME_SHIFT + FRAME_SIZE;
            if (start < (words.isEmpty() ? uttFirstSample : previousEnd - FRAME_SIZE) || end > fed || end <= start) {
                return java.util.List.of(); // not what this binding expects from the library: keep the VAD's bounds
            }
            previousEnd = end;
            words.add(new Confidence.Word(word, toMs(start), toMs(end), seg.posterior()));
        }
        return words;
    }

    /**
     * The mean posterior of the final's words: PocketSphinx's own confidence. None without the
     * posteriors ({@code -bestpath no}) or the words' segmentation.
     */
    private Confidence confidence(java.util.List<Confidence.Word> words) {
        if (!posteriors || words.isEmpty()) {
            return null;
        }
        return new Confidence(words.stream().mapToDouble(Confidence.Word::confidence).average().orElseThrow(), words);
    }

    /**
     * Where each word of {@code text} was spoken, from the segmentation (fillers left out), mapped to
     * samples as {@link #wordSpan()} does; null when the segmentation does not match the text.
     */
    /** Where each word of the final was spoken, or null unless the words are the final's text. */
    private static List<WordTime> wordTimes(List<Confidence.Word> words, String text) {
        if (words.isEmpty() || !String.join(" ", words.stream().map(Confidence.Word::text).toList()).equals(text)) {
            return null;
        }
        // A word's end rounded up, not down: what is masked by these times must cover all of it.
        return words.stream().map(w -> new WordTime(w.text(), w.startMs(), w.endMs() + 1)).toList();
    }

    private static long toMs(long samples) {
        return samples * 1000 / SAMPLE_RATE;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("The stream is closed");
        }
    }

    /**
     * Whether audio may be speech, without a decoder: a 10 ms block is loud when its energy lies
     * {@value #MARGIN_DB} dB above the noise floor (tracked as the quietest recent block, rising
     * {@value #RISE_DB} dB a block, 2 dB a second, in steady noise) and above {@value #MIN_DB} dBFS;
     * three loud blocks in a row (30 ms) are speech enough to take a decoder. It errs towards taking one:
     * the decoder's own VAD decides what is speech.
     */
    static final class SpeechGate {
        static final double MARGIN_DB = 12;
        static final double RISE_DB = 0.02;
        static final double MIN_DB = -65;
        static final int RUN = 3;
        private double floorDb = -70;
        private int run;

        boolean loud(short[] samples, int off, int n) {
            if (n == 0) {
                return run >= RUN;
            }
            double sum = 0;
            for (int i = off; i < off + n; i++) {
                sum += (double) samples[i] * samples[i];
            }
            double db = 10 * Math.log10(sum / n / (32768.0 * 32768.0) + 1e-12);
            floorDb = db < floorDb ? db : Math.min(db, floorDb + RISE_DB);
            run = db > floorDb + MARGIN_DB && db > MIN_DB ? run + 1 : 0;
            return run >= RUN;
        }
    }
}
