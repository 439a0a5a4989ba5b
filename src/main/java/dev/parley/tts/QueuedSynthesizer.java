package dev.parley.tts;

import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * What every engine shares: checks the text and language before queuing, runs each utterance on the
 * engine's own bounded pool ({@code threads} running, {@code maxQueued} waiting, more refused as
 * busy), and fails it when its timeout (counted from {@link #speak}) passes, aborting the work.
 */
abstract class QueuedSynthesizer implements Synthesizer {

    /** The longest text one call may speak (OpenAI's limit for {@code /v1/audio/speech}). */
    static final int MAX_TEXT_CHARS = 4096;

    private static final Pattern LANGUAGE = Pattern.compile("[a-z]{2,3}(-[a-z0-9]{1,8})*");

    private final Duration timeout;
    private final ThreadPoolExecutor executor;
    private final ScheduledExecutorService watchdog;
    private final Set<Job> live = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    QueuedSynthesizer(String name, int threads, int maxQueued, Duration timeout) {
        if (threads < 1 || maxQueued < 0 || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("threads " + threads + ", max queued " + maxQueued + ", timeout "
                    + timeout);
        }
        this.timeout = timeout;
        this.executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                maxQueued == 0 ? new java.util.concurrent.SynchronousQueue<>() : new ArrayBlockingQueue<>(maxQueued),
                daemonThreads("parley-tts-" + name));
        this.executor.allowCoreThreadTimeOut(true);
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, daemonThreads("parley-tts-" + name + "-timer"));
        timer.setRemoveOnCancelPolicy(true);
        this.watchdog = timer;
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory base = Executors.defaultThreadFactory();
        return r -> {
            Thread t = base.newThread(r);
            t.setName(prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** The time one utterance may take, from {@link #speak} to its result. */
    public Duration timeout() {
        return timeout;
    }

    @Override
    public final CompletableFuture<Speech> speak(String text, String language) {
        if (closed) {
            return CompletableFuture.failedFuture(new SynthesisException("The " + name() + " synthesizer is closed"));
        }
        if (text == null || text.isBlank()) {
            return CompletableFuture.failedFuture(new SynthesisException("Nothing to speak: the text is empty"));
        }
        if (text.length() > MAX_TEXT_CHARS) {
            return CompletableFuture.failedFuture(new SynthesisException("Text too long to speak: " + text.length()
                    + " characters, at most " + MAX_TEXT_CHARS + " per utterance"));
        }
        String target;
        try {
            target = resolve(normalizeLanguage(language));
        } catch (SynthesisException e) {
            return CompletableFuture.failedFuture(e);
        }
        Job job = new Job(text, target);
        job.timer = watchdog.schedule(() -> job.result.completeExceptionally(new SynthesisException(
                "Speech synthesis (" + name() + ") timed out after " + timeout.toMillis() + " ms")),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
        live.add(job);
        job.result.whenComplete((speech, failure) -> job.finished(failure != null));
        try {
            executor.execute(job);
        } catch (RejectedExecutionException e) {
            job.result.completeExceptionally(new SynthesisException(closed
                    ? "The " + name() + " synthesizer is closed"
                    : "Speech synthesis (" + name() + ") is busy: " + executor.getMaximumPoolSize()
                            + " utterances running and " + executor.getQueue().size() + " waiting; try again shortly"));
        }
        return job.result;
    }

    private static String normalizeLanguage(String language) {
        String lang = language == null ? "" : language.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        if (lang.isEmpty()) {
            throw new SynthesisException("No language given for speech synthesis");
        }
        if (lang.length() > 35 || !LANGUAGE.matcher(lang).matches()) {
            throw new SynthesisException("Not a language code: '" + printable(language)
                    + "' (expected an ISO 639-1 code such as en or es)");
        }
        return lang;
    }

    static String printable(String s) {
        return printable(s, 40);
    }

    /** {@code s} cut to {@code max} characters, control characters as '?', for messages. */
    static String printable(String s, int max) {
        String cut = s.length() > max ? s.substring(0, max) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }

    /** The primary ISO 639 subtag of a normalized language tag: {@code pt} for {@code pt-br}. */
    static String primary(String lang) {
        int dash = lang.indexOf('-');
        return dash < 0 ? lang : lang.substring(0, dash);
    }

    /**
     * The engine's voice for a normalized language tag (lower case, dashes), or a
     * {@link SynthesisException} that names the languages available.
     */
    abstract String resolve(String language);

    /** Speaks on a pool thread. Register with {@link Job#onAbort} anything that a timeout must stop. */
    abstract Speech synthesize(Job job) throws Exception;

    /** Releases what the subclass holds; called once by {@link #close()}. */
    void closeEngine() {
    }

    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        executor.shutdownNow();
        SynthesisException gone = new SynthesisException("The " + name() + " synthesizer is closed");
        for (Job job : live) {
            job.result.completeExceptionally(gone);
        }
        watchdog.shutdownNow();
        closeEngine();
    }

    /** Reads a voice's WAV, checks it is mono PCM16 with audio, and returns it with a correct header. */
    static Speech speech(byte[] wav, String engine) {
        WavInfo info;
        try {
            info = WavInfo.parse(wav);
        } catch (IllegalArgumentException e) {
            throw new SynthesisException(engine + " returned audio that is not a valid WAV file (" + e.getMessage() + ")");
        }
        if (!info.isMonoPcm16()) {
            throw new SynthesisException(engine + " returned " + info.channels() + "-channel " + info.bitsPerSample()
                    + "-bit audio (format " + info.formatTag() + "), not mono 16-bit PCM");
        }
        if (info.dataLength() == 0) {
            throw new SynthesisException(engine + " produced no audio for this text");
        }
        return new Speech(info.canonical(wav), info.sampleRate(), info.durationMillis());
    }

    /** One utterance: its text, the resolved voice, and its result. */
    final class Job implements Runnable {
        final String text;
        final String voice;
        final CompletableFuture<Speech> result = new CompletableFuture<>();
        volatile ScheduledFuture<?> timer;
        private volatile Runnable abort;
        private final AtomicBoolean aborted = new AtomicBoolean();

        Job(String text, String voice) {
            this.text = text;
            this.voice = voice;
        }

        /** Runs {@code action} if this job fails or times out (at once if it already has). */
        void onAbort(Runnable action) {
            abort = action;
            if (result.isCompletedExceptionally()) {
                runAbort();
            }
        }

        boolean done() {
            return result.isDone();
        }

        private void finished(boolean failed) {
            live.remove(this);
            ScheduledFuture<?> t = timer;
            if (t != null) {
                t.cancel(false);
            }
            if (failed) {
                runAbort();
            }
        }

        private void runAbort() {
            Runnable a = abort;
            if (a != null && aborted.compareAndSet(false, true)) {
                a.run();
            }
        }

        @Override
        public void run() {
            if (result.isDone()) {
                return;
            }
            try {
                result.complete(synthesize(this));
            } catch (SynthesisException e) {
                result.completeExceptionally(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                result.completeExceptionally(new SynthesisException("Speech synthesis (" + name() + ") was stopped"));
            } catch (Exception | LinkageError e) {
                result.completeExceptionally(new SynthesisException("Speech synthesis (" + name() + ") failed: " + e, e));
            }
        }
    }
}
