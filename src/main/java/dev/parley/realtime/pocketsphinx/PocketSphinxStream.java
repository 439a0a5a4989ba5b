package dev.parley.realtime.pocketsphinx;

import dev.parley.realtime.RecognitionListener;
import dev.parley.realtime.RecognitionStream;
import java.util.Objects;
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
 * <p>Utterance numbers are assigned when the VAD enters speech and consumed only if a partial or
 * final was delivered under them, so the listener sees 0, 1, 2... without gaps.
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

    private final PocketSphinxRecognizer owner;
    private final NativeDecoder decoder;
    private final RecognitionListener listener;
    private final int startSpeechFrames;
    private final int postSpeechFrames;
    private final int prespeechFrames;

    private boolean closed;
    private boolean uttStarted;     // ps_start_utt called, ps_end_utt not yet
    private long fed;               // samples fed to this stream
    private long uttBase;           // value of fed at the last ps_start_utt (front end frame 0)
    private long lastEnd;           // end sample of the previous utterance

    private boolean inSpeech;
    private long speechStart;       // start sample of the current utterance per the VAD
    private long uttFirstSample;    // first sample of the decoder's first frame of this utterance
    private long segOffset;         // the library's stream offset added by ps_seg_frames
    private int number;             // next utterance number
    private boolean numberUsed;     // a result was delivered under `number`
    private String lastPartial = "";
    private long lastCheck;
    private long lastEmit;

    PocketSphinxStream(PocketSphinxRecognizer owner, NativeDecoder decoder, RecognitionListener listener,
            PocketSphinxSettings settings) {
        this.owner = owner;
        this.decoder = decoder;
        this.listener = listener;
        this.startSpeechFrames = settings.vadStartSpeechFrames();
        this.postSpeechFrames = settings.vadPostspeechFrames();
        this.prespeechFrames = settings.vadPrespeechFrames();
    }

    @Override
    public void accept(short[] samples, int length) {
        Objects.requireNonNull(samples, "samples");
        if (length < 0 || length > samples.length) {
            throw new IllegalArgumentException("length " + length + " outside 0.." + samples.length);
        }
        ensureOpen();
        if (length == 0) {
            return;
        }
        if (!uttStarted) {
            startUtt();
        }
        for (int off = 0; off < length; off += NativeDecoder.BLOCK) {
            int n = Math.min(NativeDecoder.BLOCK, length - off);
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
        }
    }

    @Override
    public void flush() {
        ensureOpen();
        if (!uttStarted) {
            return;
        }
        if (inSpeech) {
            finish(fed);
        } else {
            uttStarted = false;
            decoder.endUtt(); // nothing was searched: the VAD never let frames through
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean clean = true;
        if (uttStarted) {
            uttStarted = false;
            try {
                decoder.endUtt(); // discard: the next user must start with a closed utterance
            } catch (RuntimeException e) {
                clean = false;
            }
        }
        owner.release(decoder, !clean);
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
        uttFirstSample = uttBase + Math.max(0, trigger - prespeechFrames) * FRAME_SHIFT;
        // Mirror of fe_check_prespeech/acmod_process_raw: the offset ps_seg_frames adds.
        long libOffset = (uttBase + trigger * FRAME_SHIFT + FRAME_SIZE) / FRAME_SHIFT - prespeechFrames;
        if (libOffset > 0) {
            segOffset = libOffset;
        }
        numberUsed = false;
        lastPartial = "";
        lastCheck = fed;
        lastEmit = fed;
    }

    private void speechEnded() {
        long lastSpeech = lastFrame() - postSpeechFrames;
        long end = uttBase + lastSpeech * FRAME_SHIFT + FRAME_SIZE;
        finish(end);
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

    /** Ends the decoder's utterance and delivers its final, if any; leaves no utterance open. */
    private void finish(long endSample) {
        uttStarted = false;
        inSpeech = false;
        decoder.endUtt();
        String text = clean(decoder.hyp());
        long start = speechStart;
        long end = endSample;
        if (!text.isEmpty()) {
            long[] words = wordSpan();
            if (words != null) {
                // Word boundaries are tighter than the VAD's: at the start of a stream the VAD
                // reports speech until its noise estimate settles, and noise prolongs its end.
                start = Math.max(lastEnd, words[0]);
                end = words[1];
            }
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
        if (deliver) {
            listener.complete(n, text, toMs(start), Math.max(toMs(start) + 1, toMs(end)));
        }
    }

    /**
     * Start and end sample of the recognised words (fillers excluded), or null if the segmentation
     * is unusable. ps_seg_frames in 5prealpha adds the library's "stream offset": the stream frame
     * of the utterance's first frame, computed as (samples up to the end of the VAD trigger frame)
     * / 160 - prespeech and only updated when positive. That offset is recomputed in
     * {@link #speechStarted()} so word frames map back to this stream's samples exactly.
     */
    private long[] wordSpan() {
        long first = -1;
        long last = -1;
        for (NativeDecoder.Segment seg : decoder.segments()) {
            if (clean(seg.word()).isEmpty()) {
                continue;
            }
            if (first < 0) {
                first = seg.startFrame();
            }
            last = seg.endFrame();
        }
        if (first < 0 || last < first) {
            return null;
        }
        long start = uttFirstSample + (first - segOffset) * FRAME_SHIFT;
        long end = uttFirstSample + (last - segOffset) * FRAME_SHIFT + FRAME_SIZE;
        if (start < uttFirstSample || end > fed || end <= start) {
            return null; // not what this binding expects from the library: keep the VAD's bounds
        }
        return new long[] {start, end};
    }

    private static long toMs(long samples) {
        return samples * 1000 / SAMPLE_RATE;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("The stream is closed");
        }
    }
}
