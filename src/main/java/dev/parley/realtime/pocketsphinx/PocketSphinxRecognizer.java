package dev.parley.realtime.pocketsphinx;

import com.sun.jna.Pointer;
import dev.parley.realtime.CapacityException;
import dev.parley.realtime.RecognitionListener;
import dev.parley.realtime.RecognitionStream;
import dev.parley.realtime.Recognizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embedded English recognizer on PocketSphinx 5prealpha with a pool of native decoders.
 *
 * <p>A decoder costs 0.25-1 s and ~90 MB of native memory to build (en-us model), so
 * {@code warm-decoders} of them are built in a background thread at construction ({@link #ready()}
 * turns true when one is idle); more are built on demand inside {@link #open} up to
 * {@code pool-size}; closed streams return theirs for reuse. {@link #open} never waits for a busy
 * decoder: when {@code pool-size} streams are open it throws {@link CapacityException}. (If the only
 * unclaimed decoder is still being built by the warm-up thread, open waits for that build to finish
 * rather than building a second one.)
 *
 * <p>A stream's result does not depend on which decoder it got: {@code ps_start_stream} resets the
 * VAD's noise estimate, and the live cepstral mean (CMN) is set to the prior of the stream's kind
 * of audio, its source sample rate. That prior is learnt from the utterances of earlier streams
 * of that kind ({@link CmnPrior}), as the mean of 8 kHz telephone audio is far from that of
 * wide-band audio; the model's {@code -cmninit} until then. An utterance decoded with a mean that
 * was such a guess, or that turns out far from its own, is decoded again with its own mean before
 * its final is delivered ({@link PocketSphinxStream}), so the first caller of a kind, or an unusual
 * one, is not misrecognised for want of a prior. With a state folder, the priors are saved there
 * ({@link CmnPriorFile}) and a restart starts from them rather than from that guess.
 *
 * <p>Sessions' channels open their streams with {@link #openOnDemand}: such a stream holds a decoder
 * only while there is speech to recognise. It takes one when audio that may be speech arrives and
 * gives it back after {@code release-after-ms} without speech (or without audio), keeping its own
 * cepstral mean for the next one; so a connection that sends nothing, or silence, holds no decoder.
 * Of the {@code pool-size} decoders, {@code reserved-for-trusted} are for trusted streams (sessions
 * with an API key, telephony) only: streams of sessions opened with a token hold at most the rest.
 *
 * <p>{@link #ready()} waits for every warm decoder, and {@link #warmUp} decodes speech once on each,
 * so that the first sessions after a start neither wait for a decoder being built nor share the CPU
 * with the builds.
 */
public final class PocketSphinxRecognizer implements Recognizer {

    private static final Logger LOG = LoggerFactory.getLogger(PocketSphinxRecognizer.class);
    private static final Set<String> LANGUAGES = Set.of("en");
    private static final Object NATIVE_LOG_LOCK = new Object();
    /** How often learnt priors are saved while they change: what a crash can lose of them. */
    static final int SAVE_EVERY_S = 10;
    private static String nativeLogConfig; // null until the first recognizer configured it

    private final PocketSphinxSettings settings;
    private final PocketSphinx lib;
    private final String[] args;
    private final AtomicInteger built = new AtomicInteger();
    private final AtomicInteger nextId = new AtomicInteger();
    private final ConcurrentMap<Integer, CmnPrior> cmnPriors = new ConcurrentHashMap<>();
    private final CmnPriorFile priorFile;                 // null: priors are not kept across restarts
    private final Map<Integer, List<CmnPrior.Voice>> savedPriors;
    private final ScheduledExecutorService saver;
    private long savedChanges;

    private final Object lock = new Object();
    private final ArrayDeque<NativeDecoder> idle = new ArrayDeque<>();
    private int existing;      // decoders built or being built (never above pool-size)
    private int warmBuilding;  // of which the warm-up thread is building now
    private int inUse;         // decoders held by streams (including ones being built for them)
    private int anonymousInUse; // of which held by streams that are not trusted
    private int waiting;       // opens waiting for a warm-up build
    private volatile boolean closed;
    private final Thread warmup;
    private volatile boolean warmBuilt;    // the warm-up thread has built what it was to build
    private volatile boolean learning = true;
    private volatile RuntimeException warmupFailure;

    /** Reads the settings with {@link PocketSphinxSettings#fromProperties(Function)}. */
    public static PocketSphinxRecognizer fromProperties(Function<String, String> lookup) {
        return new PocketSphinxRecognizer(PocketSphinxSettings.fromProperties(lookup));
    }

    /**
     * Loads the native library, checks the arguments with PocketSphinx's parser and starts building
     * {@code warm-decoders} decoders in the background.
     *
     * @throws IllegalArgumentException if PocketSphinx rejects the arguments (e.g. an unknown
     *     option in {@code extra-args})
     * @throws UnsatisfiedLinkError if libpocketsphinx.so.3 is not installed
     */
    public PocketSphinxRecognizer(PocketSphinxSettings settings) {
        this(settings, null);
    }

    /**
     * The same, keeping the learnt cepstral-mean priors in {@code stateDir} (null: not kept): read
     * now, saved every {@value #SAVE_EVERY_S} s while they change and when the recognizer closes. An
     * unreadable file is logged and replaced.
     */
    public PocketSphinxRecognizer(PocketSphinxSettings settings, Path stateDir) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.priorFile = stateDir == null ? null : new CmnPriorFile(stateDir);
        this.savedPriors = loadPriors(priorFile);
        this.lib = PocketSphinx.get();
        this.args = settings.toArgs();
        configureNativeLog(lib, settings.logFile());
        Pointer config = NativeDecoder.parse(lib, args);
        if (config == null) {
            throw new IllegalArgumentException("PocketSphinx rejected the options '" + String.join(" ", args)
                    + "': check " + PocketSphinxSettings.key("extra-args")
                    + " for unknown options or bad values (set " + PocketSphinxSettings.key("log-file")
                    + " to see the library's message)");
        }
        lib.cmd_ln_free_r(config);
        if (settings.warmDecoders() > 0) {
            warmup = new Thread(this::warmUp, "pocketsphinx-warmup");
            warmup.setDaemon(true);
            warmup.start();
        } else {
            warmup = null;
            warmBuilt = true;
        }
        if (priorFile != null) {
            saver = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "pocketsphinx-priors");
                t.setDaemon(true);
                return t;
            });
            saver.scheduleWithFixedDelay(this::savePriors, SAVE_EVERY_S, SAVE_EVERY_S, TimeUnit.SECONDS);
        } else {
            saver = null;
        }
    }

    @Override
    public String name() {
        return "pocketsphinx";
    }

    @Override
    public Set<String> languages() {
        return LANGUAGES;
    }

    /** Debian's model is US English. */
    @Override
    public Set<String> languageTags() {
        return Set.of("en-US");
    }

    @Override
    public int sampleRate() {
        return 16000;
    }

    public PocketSphinxSettings settings() {
        return settings;
    }

    /**
     * Opens a stream on an idle decoder, or builds one (~1 s) if fewer than {@code pool-size} exist.
     *
     * @param language {@code en} (a region such as {@code en-US} is accepted)
     * @param sourceRate the audio's sample rate before resampling to 16 kHz: streams of one rate
     *     share a cepstral-mean prior
     * @throws CapacityException immediately when {@code pool-size} streams are already open
     * @throws IllegalArgumentException for a language other than English, or a rate below 1
     * @throws IllegalStateException after {@link #close()}, or if a decoder cannot be built
     */
    @Override
    public RecognitionStream open(String language, int sourceRate, RecognitionListener listener)
            throws CapacityException {
        check(language, sourceRate, listener);
        PocketSphinxStream stream = new PocketSphinxStream(this, listener, settings, sourceRate, true, false);
        stream.attach();
        return stream;
    }

    /**
     * Opens a stream that takes a decoder when audio that may be speech arrives and gives it back in
     * silence ({@link PocketSphinxStream}); never throws {@link CapacityException}: a stream that
     * finds no decoder free reports an error {@code capacity} to its listener.
     *
     * @param trusted whether the stream may take the decoders reserved for trusted sessions
     */
    @Override
    public RecognitionStream openOnDemand(String language, int sourceRate, boolean trusted, RecognitionListener listener) {
        check(language, sourceRate, listener);
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("The pocketsphinx recognizer is closed");
            }
        }
        return new PocketSphinxStream(this, listener, settings, sourceRate, trusted, true);
    }

    private static void check(String language, int sourceRate, RecognitionListener listener) {
        Objects.requireNonNull(listener, "listener");
        if (sourceRate < 1) {
            throw new IllegalArgumentException("source sample rate must be positive, not " + sourceRate);
        }
        String lang = language == null ? "" : language.toLowerCase(Locale.ROOT).split("[-_]", 2)[0];
        if (!LANGUAGES.contains(lang)) {
            throw new IllegalArgumentException("pocketsphinx recognises only English (en), not '" + language + "'");
        }
    }

    /**
     * An idle decoder for a stream, or one built now (~1 s) if fewer than {@code pool-size} exist.
     *
     * @throws CapacityException at once when {@code pool-size} decoders are held, or, for a stream that
     *     is not trusted, all but the {@code reserved-for-trusted} ones
     */
    NativeDecoder acquire(boolean trusted) throws CapacityException {
        NativeDecoder decoder = null;
        boolean buildOwn = false;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("The pocketsphinx recognizer is closed");
            }
            if (inUse >= settings.poolSize()) {
                throw new CapacityException("All " + inUse + " pocketsphinx decoders are in use ("
                        + inUse + " of " + settings.poolSize() + " streams open); raise "
                        + PocketSphinxSettings.key("pool-size") + " (each decoder needs ~90 MB) or retry"
                        + " when a stream closes");
            }
            int shared = settings.poolSize() - settings.reservedForTrusted();
            if (!trusted && anonymousInUse >= shared) {
                throw new CapacityException("All " + shared + " pocketsphinx decoders that sessions opened with a"
                        + " token may use are in use (" + inUse + " of " + settings.poolSize() + " in all; "
                        + settings.reservedForTrusted() + " are for API-key and telephony sessions, "
                        + PocketSphinxSettings.key("reserved-for-trusted") + "); retry when a speaker pauses");
            }
            inUse++;
            if (!trusted) {
                anonymousInUse++;
            }
            // Invariant: existing == idle + decoders of open streams + warmBuilding. A decoder the
            // warm-up thread is building is as good as idle: wait for it (< 1 s) rather than build
            // a second one, one waiter per build in progress; otherwise build while slots remain.
            while (true) {
                if (closed) {
                    unhold(trusted);
                    throw new IllegalStateException("The pocketsphinx recognizer is closed");
                }
                if (!idle.isEmpty()) {
                    decoder = idle.pop();
                    break;
                }
                if (warmBuilding > waiting || existing >= settings.poolSize() && warmBuilding > 0) {
                    waiting++;
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        unhold(trusted);
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("Interrupted while a pocketsphinx decoder was being built", e);
                    } finally {
                        waiting--;
                    }
                    continue;
                }
                if (existing >= settings.poolSize()) { // cannot happen while the invariant holds
                    unhold(trusted);
                    throw new CapacityException("No pocketsphinx decoder is free (" + existing + " of "
                            + settings.poolSize() + " exist); raise " + PocketSphinxSettings.key("pool-size"));
                }
                existing++;
                buildOwn = true;
                break;
            }
        }
        if (buildOwn) {
            try {
                decoder = build();
            } catch (RuntimeException | Error e) {
                synchronized (lock) {
                    existing--;
                    unhold(trusted);
                    lock.notifyAll();
                }
                throw e;
            }
            boolean closedMeanwhile;
            synchronized (lock) {
                closedMeanwhile = closed;
                if (closedMeanwhile) {
                    existing--;
                    unhold(trusted);
                }
            }
            if (closedMeanwhile) {
                decoder.free();
                throw new IllegalStateException("The pocketsphinx recognizer is closed");
            }
        }
        return decoder;
    }

    /** Inside the lock: a decoder counted as held is not. */
    private void unhold(boolean trusted) {
        inUse--;
        if (!trusted) {
            anonymousInUse--;
        }
    }

    @Override
    public void learnFromSessions(boolean on) {
        learning = on;
    }

    /** False while the warm-up rehearses: what streams learn then is not taught to the priors. */
    boolean learnsFromSessions() {
        return learning;
    }

    /** The cepstral-mean prior of streams whose audio arrives at {@code sourceRate}. */
    CmnPrior prior(int sourceRate, NativeDecoder decoder) {
        return cmnPriors.computeIfAbsent(sourceRate,
                r -> new CmnPrior(decoder.cmnInit(), savedPriors.getOrDefault(r, List.of())));
    }

    @Override
    public int capacity() {
        return settings.poolSize();
    }

    @Override
    public int inUse() {
        synchronized (lock) {
            return inUse;
        }
    }

    /**
     * True when the warm decoders are built and one is idle, so {@link #open} will not have to build
     * one and no build competes with the streams for the CPU.
     */
    @Override
    public boolean ready() {
        synchronized (lock) {
            return warmBuilt && !closed && !idle.isEmpty();
        }
    }

    /**
     * Decodes a clip of {@code speech} (16 kHz) on every warm decoder, a few at a time, once they are
     * built (waiting for them up to {@code timeoutMs}): what the first streams on a decoder would
     * otherwise pay. Each uses a prior of its own, so warm-up audio never teaches the shared priors;
     * streams opened meanwhile get the decoders not being warmed.
     */
    @Override
    public void warmUp(List<short[]> speech, long timeoutMs) throws InterruptedException {
        if (speech.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        if (warmup != null) {
            warmup.join(Math.max(1, timeoutMs));
        }
        List<NativeDecoder> decoders;
        synchronized (lock) {
            decoders = new ArrayList<>(idle);
        }
        int threads = Math.min(decoders.size(), Runtime.getRuntime().availableProcessors());
        if (threads == 0) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "pocketsphinx-warm-decode");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int i = 0; i < decoders.size(); i++) {
                NativeDecoder d = decoders.get(i);
                short[] clip = speech.get(i % speech.size());
                pool.execute(() -> warmDecode(d, clip));
            }
            pool.shutdown();
            pool.awaitTermination(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Decodes {@code samples} on one idle decoder, straight through its native calls, from the
     * model's own CMN: warm-up audio teaches no shared prior and opens no session.
     */
    private void warmDecode(NativeDecoder decoder, short[] samples) {
        synchronized (lock) {
            if (closed || !idle.remove(decoder)) {
                return; // a stream has it: it is being warmed anyway
            }
            inUse++;
        }
        boolean broken = false;
        try {
            decoder.startStream();
            if (decoder.cmnControl()) {
                decoder.setCmn(decoder.cmnInit());
            }
            decoder.startUtt();
            int frame = PocketSphinxStream.SAMPLE_RATE / 25; // 40 ms, as sessions send it
            for (int off = 0; off < samples.length && !closed; off += frame) {
                int end = Math.min(samples.length, off + frame);
                for (int at = off; at < end; at += NativeDecoder.BLOCK) {
                    decoder.process(samples, at, Math.min(NativeDecoder.BLOCK, end - at));
                }
                decoder.hyp();
            }
            decoder.endUtt();
            decoder.hyp();
        } catch (RuntimeException e) {
            broken = true;
            LOG.warn("Warm-up decoding failed on pocketsphinx decoder #{}: {}", decoder.id(), e.toString());
        } finally {
            release(decoder, broken, true);
        }
    }

    private static Map<Integer, List<CmnPrior.Voice>> loadPriors(CmnPriorFile file) {
        if (file == null) {
            return Map.of();
        }
        try {
            Map<Integer, List<CmnPrior.Voice>> saved = file.load();
            if (!saved.isEmpty()) {
                LOG.info("Cepstral-mean priors of {} kind(s) of audio read from {}", saved.size(), file.path());
            }
            return saved;
        } catch (IOException | RuntimeException e) {
            LOG.warn("Ignoring unreadable cepstral-mean priors in {} ({}); they are learnt again", file.path(), e.toString());
            return Map.of();
        }
    }

    /** Saves the priors if they changed since the last save. */
    private synchronized void savePriors() {
        long changes = cmnPriors.values().stream().mapToLong(CmnPrior::changes).sum();
        if (changes == savedChanges || cmnPriors.isEmpty()) {
            return;
        }
        try {
            priorFile.save(Map.copyOf(cmnPriors));
            savedChanges = changes;
        } catch (IOException | RuntimeException e) {
            LOG.warn("Cannot save the cepstral-mean priors to {}: {}", priorFile.path(), e.toString());
        }
    }

    /** Number of native decoders successfully built since construction (a cost counter). */
    public int decodersBuilt() {
        return built.get();
    }

    /** Number of decoders built and idle in the pool. */
    public int idle() {
        synchronized (lock) {
            return idle.size();
        }
    }

    /** The warm-up thread's failure, if it could not build a decoder; null otherwise. */
    public RuntimeException warmupFailure() {
        return warmupFailure;
    }

    /**
     * Refuses further opens, frees every idle decoder and waits for the warm-up thread. Decoders of
     * streams still open are freed when those streams close.
     */
    @Override
    public void close() {
        List<NativeDecoder> toFree;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            toFree = new ArrayList<>(idle);
            idle.clear();
            existing -= toFree.size();
            lock.notifyAll();
        }
        toFree.forEach(NativeDecoder::free);
        if (warmup != null && Thread.currentThread() != warmup) {
            try {
                warmup.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (saver != null) {
            saver.shutdownNow();
            savePriors();
        }
    }

    /** Called by a stream that gives its decoder back: the decoder's utterance is already ended. */
    void release(NativeDecoder decoder, boolean discard, boolean trusted) {
        boolean free;
        synchronized (lock) {
            unhold(trusted);
            free = closed || discard;
            if (free) {
                existing--;
            } else {
                idle.push(decoder); // LIFO: reuse the most recently used decoder
            }
            lock.notifyAll();
        }
        if (free) {
            decoder.free();
        }
    }

    private NativeDecoder build() {
        long t0 = System.nanoTime();
        NativeDecoder d = NativeDecoder.build(lib, args, nextId.getAndIncrement());
        int n = built.incrementAndGet();
        if (!d.cmnControl() && n == 1) {
            LOG.warn("Cannot set the live CMN of this libsphinxbase build: a stream's first utterance is"
                    + " normalised with the mean left by the decoder's previous stream");
        }
        LOG.info("Built pocketsphinx decoder #{} in {} ms ({} built so far)", d.id(),
                (System.nanoTime() - t0) / 1_000_000, n);
        return d;
    }

    private void warmUp() {
        try {
            buildWarmDecoders();
        } finally {
            warmBuilt = true;
        }
    }

    private void buildWarmDecoders() {
        for (int i = 0; i < settings.warmDecoders(); i++) {
            synchronized (lock) {
                if (closed || existing >= settings.poolSize()) {
                    return;
                }
                existing++;
                warmBuilding++;
            }
            NativeDecoder d;
            try {
                d = build();
            } catch (RuntimeException | Error e) {
                warmupFailure = e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e);
                LOG.error("Could not build a pocketsphinx decoder at start", e);
                synchronized (lock) {
                    existing--;
                    warmBuilding--;
                    lock.notifyAll();
                }
                return;
            }
            boolean free;
            synchronized (lock) {
                warmBuilding--;
                free = closed;
                if (free) {
                    existing--;
                } else {
                    idle.addLast(d);
                }
                lock.notifyAll();
            }
            if (free) {
                d.free();
                return;
            }
        }
    }

    /**
     * The C libraries log to one process-wide FILE*. PocketSphinx's own {@code -logfn} re-opens it
     * in every ps_init and fcloses the previous one, which races with decoders logging on other
     * threads, so it is set once here instead: silenced ({@code err_set_logfp(NULL)}) unless a log
     * file is configured. The first recognizer in the process decides.
     */
    private static void configureNativeLog(PocketSphinx lib, String logFile) {
        String wanted = logFile == null ? "" : logFile;
        synchronized (NATIVE_LOG_LOCK) {
            if (nativeLogConfig != null) {
                if (!nativeLogConfig.equals(wanted)) {
                    LOG.warn("PocketSphinx native log is already {}; ignoring {}={}",
                            nativeLogConfig.isEmpty() ? "silenced" : "going to " + nativeLogConfig,
                            PocketSphinxSettings.key("log-file"), logFile);
                }
                return;
            }
            if (logFile == null) {
                lib.err_set_logfp(null);
            } else if (lib.err_set_logfile(logFile) < 0) {
                lib.err_set_logfp(null);
                throw new IllegalArgumentException("Invalid " + PocketSphinxSettings.key("log-file") + "="
                        + logFile + ": cannot open it for appending; fix the path or unset it to silence the"
                        + " library's log");
            }
            nativeLogConfig = wanted;
        }
    }
}
