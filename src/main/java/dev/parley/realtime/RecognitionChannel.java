package dev.parley.realtime;

import dev.parley.audio.AudioFormat;
import dev.parley.audio.LevelMonitor;
import dev.parley.audio.Resampler;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One channel of a call on its way into a recognizer: audio frames are queued as they arrive,
 * then decoded, checked for level faults, resampled and recognised by a {@link RecognitionScheduler},
 * one batch at a time, so that many channels share few threads fairly. Frames are processed strictly
 * in the order {@link #offer} received them.
 *
 * <p>Two bounds keep a channel's excess its own. Audio may arrive ahead of real time (counted from
 * when the channel last was not ahead) by at most {@code maxAheadMillis}: a burst, such as frames a
 * network held back; a frame beyond it is dropped. And the queue is bounded in milliseconds of
 * audio: a channel that falls behind beyond it drops new frames. Either way the channel counts what it
 * dropped and says so ({@code overloaded}), rather than growing without bound or slowing the others.
 *
 * <p>{@link #commit()} and {@link #clear()} (manual turn detection) take effect in order with the
 * frames around them. A {@link #tap} sees the results the session's listener sees, just before it.
 * With server VAD, {@link #mergeUntilCommit} names the utterance a commit will end before the
 * recognizer reaches it.
 */
public final class RecognitionChannel {

    /** Audio processed per turn on a worker before letting other channels run. */
    private static final long BATCH_MILLIS = 200;
    /** Frames whose arrival time is remembered: 20 s of 20 ms frames, well past any final's end of speech. */
    private static final int ARRIVALS = 1024;

    /** How long a channel that sent audio too far ahead of real time goes after the others. */
    private static final long AHEAD_PENALTY_NANOS = 10_000_000_000L;

    private final String name;
    private final String language;
    private final AudioFormat format;
    private final RecognitionStream stream;
    /** Null when the recognizer wants no audio (archive-only): nothing is resampled or fed. */
    private final Resampler resampler;
    private final LevelMonitor levels;
    private final RecognitionScheduler scheduler;
    private final ChannelListener listener;
    private volatile ChannelListener tap;
    /** Set by {@link #appendOnly}: results are made append-only, and merged per commit if asked. */
    private volatile AppendOnlyText appendOnly;
    private volatile boolean segmentByCommit;
    private final long maxQueuedBytes;
    private final long maxAheadNanos;
    /**
     * When the audio taken so far would have finished arriving had it been sent at real time: a
     * frame arriving while this lies more than {@code maxAheadNanos} ahead is dropped (the generic
     * cell rate algorithm, at the rate of real time). Guarded by {@code this}.
     */
    private long realTimeNanos = System.nanoTime();
    /** When audio was last dropped for arriving too far ahead of real time; guarded by {@code this}. */
    private long aheadDropNanos;
    private boolean aheadDropped;
    /** The channel ended while it went after the others: it does so until it has finished. */
    private volatile boolean endedAhead;
    private volatile long lastOfferNanos = System.nanoTime();
    /** Recognizer time this channel has used, for {@link RecognitionScheduler}; guarded by its lock. */
    long usedNanos;

    private final Queue<Entry> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicBoolean ended = new AtomicBoolean();
    private final AtomicLong bytesDropped = new AtomicLong();
    /** Dropped since the last entry queued: becomes one gap entry before the next, so drops queue nothing. */
    private final AtomicLong unqueuedGap = new AtomicLong();
    private volatile long lastDropReportNanos;

    // Owned by whichever worker runs the channel's turn; turns never overlap.
    private final MessageDigest digest;
    private long bytesProcessed;
    /**
     * Stream time (ms) at which audio went missing, mapped to the total missing up to then. Locked:
     * an engine that recognises remotely reports results from its own thread.
     */
    private final NavigableMap<Long, Long> gaps = new TreeMap<>();
    private long droppedMillisSeen;
    /** Ring of (channel time at a processed frame's end, when that frame arrived), for final latency. Locked. */
    private final long[] arrivalMillis = new long[ARRIVALS];
    private final long[] arrivalNanos = new long[ARRIVALS];
    private int arrivalsNext;
    private int arrivalsSize;
    private volatile boolean finishing;
    private volatile ChannelStats finalStats;

    /**
     * @param trusted         whether the session came with an API key or from a telephony platform:
     *                        its stream may use recognizer capacity reserved for such sessions
     * @param maxQueuedMillis audio that may wait to be recognised
     * @param maxAheadMillis  how far ahead of real time audio may arrive
     * @throws CapacityException if the recognizer cannot open a stream now (engines that take their
     *     resources with the first audio report a lack of them then, as an error {@code capacity})
     */
    public RecognitionChannel(String name, String language, AudioFormat format, Recognizer recognizer, boolean trusted,
                              long maxQueuedMillis, long maxAheadMillis, int levelWindowMillis,
                              RecognitionScheduler scheduler, ChannelListener listener) throws CapacityException {
        this.name = name;
        this.language = language;
        this.format = format;
        this.scheduler = scheduler;
        this.listener = listener;
        this.maxQueuedBytes = format.bytesFor(maxQueuedMillis);
        this.maxAheadNanos = maxAheadMillis * 1_000_000L;
        this.resampler = recognizer.wantsAudio() ? new Resampler(format.sampleRate(), recognizer.sampleRate(format.sampleRate())) : null;
        this.levels = new LevelMonitor(format.sampleRate(), levelWindowMillis);
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
        this.stream = recognizer.openOnDemand(language, format.sampleRate(), trusted, new StreamListener());
    }

    public String name() { return name; }

    public String language() { return language; }

    public AudioFormat format() { return format; }

    /**
     * Queues one frame (a whole number of samples). Returns false when the frame was dropped
     * because the channel is too far behind, or has already ended.
     */
    public boolean offer(byte[] frame) {
        if (ended.get()) {
            return false;
        }
        long now = System.nanoTime();
        lastOfferNanos = now;
        if (!onTime(frame.length, now)) {
            drop(frame, "is sending audio faster than real time, more than " + maxAheadNanos / 1_000_000
                    + " ms ahead of it");
            return false;
        }
        if (queuedBytes.get() + frame.length > maxQueuedBytes) {
            drop(frame, "is more than " + format.millisOf(maxQueuedBytes) + " ms behind real time");
            return false;
        }
        queuedBytes.addAndGet(frame.length);
        queueGap();
        queue.add(new Entry(frame, 0, System.nanoTime()));
        schedule();
        return true;
    }

    /**
     * Audio the sender says is missing (discarded before it was sent): the channel's timeline moves
     * on by that many bytes' worth, so later utterances keep their times in the call. Not an error,
     * and not counted as dropped.
     */
    public void skip(long bytes) {
        if (bytes > 0 && !ended.get()) {
            queueGap();
            queue.add(new Entry(null, bytes, 0));
            schedule();
        }
    }

    /**
     * Ends the utterance in progress once the frames queued before have been recognised, as if the
     * speaker had paused; {@link ChannelListener#committed} follows its results. Returns false if
     * the channel has ended.
     */
    public boolean commit() {
        return mark(Entry.COMMIT);
    }

    /**
     * Discards the utterance in progress once the frames queued before have been recognised;
     * {@link ChannelListener#cleared} follows. Returns false if the channel has ended.
     */
    public boolean clear() {
        synchronized (results) {
            if (ended.get()) {
                return false;
            }
            clearsQueued++;
        }
        return mark(Entry.CLEAR);
    }

    /**
     * With server VAD and append-only results, makes the recognizer's utterances from here up to the
     * next {@link #commit} called after this one utterance, whose number this returns at once: a client's
     * commit names its item before the recognizer reaches it. "Here" is where the recognizer is now,
     * the utterance in progress (if one is) included; or, when earlier merges or clears are still to
     * be reached ({@code clearsNotQueued} more will be {@link #clear queued} before that commit), the
     * last of them. Its partials extend each other across the recognizer's utterances and its final
     * comes when the commit is reached (or {@code noResult}, if nothing was recognised).
     */
    public int mergeUntilCommit(int clearsNotQueued) {
        synchronized (results) {
            int clears = clearsNotQueued + clearsQueued;
            boolean now = merges.isEmpty() && clears == 0;
            // A new merged utterance is numbered below zero, apart from the recognizer's own numbers.
            int utterance = now && speaking != null ? speaking : -(++mergesMade);
            merges.add(new Merge(utterance, clears));
            if (now) {
                startMerge();
            }
            return utterance;
        }
    }

    /**
     * Adds a second listener that receives the results the session's listener receives, just before it:
     * partials, finals, speech events, commits, clears and the end (not warnings and errors, which
     * reach the client as session events). An ingest endpoint that speaks another protocol than
     * Parley's events reads results here.
     */
    public void tap(ChannelListener tap) {
        this.tap = tap;
    }

    /**
     * Makes this channel's results append-only ({@link AppendOnlyText}): each partial of an utterance
     * extends the one before, and its final extends its last partial, for everyone (the session's
     * events, the archive, the tap). With {@code segmentByCommit} an utterance is what was recognised
     * between two {@link #commit commits}: its partials and its final come in one utterance, the
     * final once the commit is reached. Called before the first frame.
     */
    public void appendOnly(boolean segmentByCommit) {
        this.segmentByCommit = segmentByCommit;
        this.appendOnly = new AppendOnlyText();
    }

    private boolean mark(Entry marker) {
        if (ended.get()) {
            return false;
        }
        queueGap();
        queue.add(marker);
        schedule();
        return true;
    }

    /** No more audio: once the queue is drained, the last utterance is finalised. Idempotent. */
    public void endOfInput() {
        if (ended.compareAndSet(false, true)) {
            endedAhead = ahead();
            queueGap();
            queue.add(Entry.END);
            schedule();
        }
    }

    public boolean finished() {
        return finalStats != null;
    }

    /** Totals so far; exact once the channel has finished. */
    public ChannelStats stats() {
        ChannelStats done = finalStats;
        if (done != null) {
            return done;
        }
        return new ChannelStats(bytesProcessed, null, bytesDropped.get(), format.millisOf(bytesProcessed));
    }

    /** Milliseconds of audio waiting to be recognised. */
    public long queuedMillis() {
        return format.millisOf(queuedBytes.get());
    }

    /** True once no more audio is taken ({@link #endOfInput}). */
    public boolean inputEnded() {
        return ended.get();
    }

    /**
     * When the audio at this point of the channel's timeline arrived ({@link System#nanoTime}): the frame
     * that holds it, or -1 when it is older than the frames remembered (about the last 20 s).
     */
    public long arrivalNanos(long channelMillis) {
        synchronized (arrivalMillis) {
            long found = -1;
            for (int i = 0; i < arrivalsSize; i++) {
                int at = Math.floorMod(arrivalsNext - 1 - i, ARRIVALS);
                if (arrivalMillis[at] < channelMillis) {
                    return i == 0 ? arrivalNanos[at] : found; // past the newest frame: its arrival is the latest known
                }
                found = arrivalNanos[at];
            }
            return arrivalsSize == ARRIVALS ? -1 : found;
        }
    }

    /** Takes a frame into the real-time account, unless it arrived too far ahead of real time. */
    private synchronized boolean onTime(int bytes, long now) {
        long start = Math.max(realTimeNanos, now);
        if (start - now > maxAheadNanos) {
            aheadDropNanos = now;
            aheadDropped = true;
            return false;
        }
        realTimeNanos = start + bytes * 1_000_000_000L / format.encoding().bytesPerSample() / format.sampleRate();
        return true;
    }

    /** How far ahead of real time this channel's audio has arrived, in milliseconds; 0 when it is not. */
    public long aheadMillis() {
        long ahead;
        synchronized (this) {
            ahead = realTimeNanos - System.nanoTime();
        }
        return Math.max(0, ahead / 1_000_000);
    }

    /**
     * True while the channel's audio arrives more than half its bound ahead of real time, for
     * {@value #AHEAD_PENALTY_NANOS} ns after audio was last dropped for arriving beyond it, and until
     * the end of a channel that ended so: its turns go after those of channels that keep to real time.
     */
    boolean ahead() {
        if (endedAhead) {
            return true;
        }
        synchronized (this) {
            long now = System.nanoTime();
            return (realTimeNanos - now) * 2 > maxAheadNanos || aheadDropped && now - aheadDropNanos < AHEAD_PENALTY_NANOS;
        }
    }

    /** Milliseconds since a frame was last offered (or since the channel opened). */
    public long millisSinceAudio() {
        return (System.nanoTime() - lastOfferNanos) / 1_000_000;
    }

    /**
     * Tells the recognizer, in order with the frames before, that no audio has arrived for a while
     * ({@link RecognitionStream#idle}): an engine may give back what it holds. Returns false if the
     * channel has ended.
     */
    public boolean idle() {
        return mark(Entry.IDLE);
    }

    private void drop(byte[] frame, String why) {
        long total = bytesDropped.addAndGet(frame.length);
        // The gap is recorded on the worker's timeline, in order with the frames around it: queued
        // before whatever is queued next.
        unqueuedGap.addAndGet(frame.length);
        long now = System.nanoTime();
        if (now - lastDropReportNanos > 1_000_000_000L) {
            lastDropReportNanos = now;
            listener.error(this, "overloaded", "Channel '" + name + "' " + why + "; "
                    + format.millisOf(total) + " ms of audio (" + total + " bytes) dropped so far.");
        }
    }

    private void queueGap() {
        long gap = unqueuedGap.getAndSet(0);
        if (gap > 0) {
            queue.add(new Entry(null, gap, 0));
        }
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            scheduler.submit(this);
        }
    }

    /** After a turn: queued again if there is more to do. */
    void turnEnded() {
        if (finalStats != null || finishing) {
            return; // the stream is closed: nothing queued after the end is recognised
        }
        scheduled.set(false);
        if (!queue.isEmpty()) {
            schedule();
        }
    }

    /** One turn on a scheduler thread: at most {@link #BATCH_MILLIS} of audio, and the markers among it. */
    void runTurn() {
        long budget = format.bytesFor(BATCH_MILLIS);
        try {
            Entry entry;
            while (budget > 0 && (entry = queue.poll()) != null) {
                if (entry == Entry.END) {
                    finishing = true;
                    finish();
                    return;
                }
                if (entry == Entry.COMMIT) {
                    commitStream();
                    continue;
                }
                if (entry == Entry.CLEAR) {
                    stream.clear();
                    withdraw();
                    clearReached();
                    each(l -> l.cleared(this));
                    continue;
                }
                if (entry == Entry.IDLE) {
                    // Stale while audio is queued behind it (a burst the recognizer is still working
                    // through): there, no audio came only because it all came at once.
                    if (queuedBytes.get() == 0) {
                        stream.idle(millisSinceAudio());
                    }
                    continue;
                }
                if (entry.audio() == null) {
                    droppedMillisSeen += format.millisOf(entry.droppedBytes());
                    synchronized (gaps) {
                        gaps.put(format.millisOf(bytesProcessed), droppedMillisSeen);
                    }
                    continue;
                }
                queuedBytes.addAndGet(-entry.audio().length);
                budget -= entry.audio().length;
                process(entry.audio());
                arrived(entry.arrivedNanos());
            }
        } catch (RuntimeException e) {
            listener.error(this, "recognizer_failed", "Recognition failed on channel '" + name + "': " + e.getMessage());
        }
    }

    private void process(byte[] frame) {
        digest.update(frame);
        bytesProcessed += frame.length;
        short[] pcm = format.decode(frame);
        LevelMonitor.Fault fault = levels.accept(pcm, pcm.length);
        if (fault == LevelMonitor.Fault.SILENT) {
            listener.warning(this, "input_silent", "Channel '" + name + "' has been silent for a while. "
                    + "Check the microphone, its sampling rate and the PCM conversion: Parley expects mono "
                    + format.encoding().wireName() + " at " + format.sampleRate() + " Hz.");
        } else if (fault == LevelMonitor.Fault.CLIPPED) {
            listener.warning(this, "input_clipped", "Channel '" + name + "' is clipping. Lower the input "
                    + "gain, or turn off automatic gain control.");
        }
        if (resampler != null) {
            short[] resampled = resampler.process(pcm, 0, pcm.length);
            stream.accept(resampled, resampled.length);
        }
    }

    private void arrived(long nanos) {
        synchronized (arrivalMillis) {
            arrivalMillis[arrivalsNext] = format.millisOf(bytesProcessed) + droppedMillisSeen;
            arrivalNanos[arrivalsNext] = nanos;
            arrivalsNext = (arrivalsNext + 1) % ARRIVALS;
            arrivalsSize = Math.min(arrivalsSize + 1, ARRIVALS);
        }
    }

    private void commitStream() {
        CompletionStage<Void> done;
        try {
            done = stream.commit();
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        done.whenComplete((ok, failure) -> {
            if (failure != null) {
                listener.error(this, "recognizer_failed", "Recognition failed on channel '" + name + "': "
                        + failure.getMessage());
            }
            completeCommitted();
            each(l -> l.committed(this));
        });
    }

    /** Ends the stream; an engine with results still on their way finishes when they have arrived. */
    private void finish() {
        CompletionStage<Void> done;
        try {
            done = stream.flushAsync();
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        done.whenComplete((ok, failure) -> {
            try {
                if (failure != null) {
                    listener.error(this, "recognizer_failed", "Recognition failed on channel '" + name + "': "
                            + failure.getMessage());
                }
                stream.close();
                completeMerges();
            } finally {
                finalStats = new ChannelStats(bytesProcessed, HexFormat.of().formatHex(digest.digest()),
                        bytesDropped.get(), format.millisOf(bytesProcessed));
                each(l -> l.finished(this));
            }
        });
    }

    /** Maps a time on the recognizer's timeline to the channel's, adding back audio dropped before it. */
    private long channelTime(long streamMillis) {
        synchronized (gaps) {
            Map.Entry<Long, Long> gap = gaps.floorEntry(streamMillis);
            return streamMillis + (gap == null ? 0 : gap.getValue());
        }
    }

    /**
     * Calls the tap if there is one, then the session's listener: a tap that names the utterance by
     * the session's item id ({@code CallSession#itemId}) learns it before the session's final retires it.
     */
    private void each(java.util.function.Consumer<ChannelListener> call) {
        ChannelListener t = tap;
        if (t != null) {
            call.accept(t);
        }
        call.accept(listener);
    }

    // Per commit (segmentByCommit, or a merge): what was recognised since the last commit, on the recognizer's thread.
    private int commitUtterance;
    private final StringBuilder committedText = new StringBuilder();
    private long commitStartMs = -1;
    private long commitEndMs = -1;

    // Merges (mergeUntilCommit). Guarded by results, which each result holds while it is delivered, so
    // that a merge asked for from another thread knows exactly which utterance is in progress.
    private final Object results = new Object();
    /** Merges whose commit is not reached yet, oldest first; the first collects once its clears are passed. */
    private final java.util.ArrayDeque<Merge> merges = new java.util.ArrayDeque<>();
    /** The recognizer's utterances the collecting merge takes, to its number. */
    private final Map<Integer, Integer> mergedInto = new java.util.HashMap<>();
    private int mergesMade;
    /** Clears queued and not reached. */
    private int clearsQueued;
    /** The recognizer's utterance whose speech started and did not stop, or null. */
    private Integer speaking;

    private static final class Merge {
        final int utterance;
        /** Clears still to be reached before it starts. */
        int clearsAhead;
        boolean collecting;

        Merge(int utterance, int clearsAhead) {
            this.utterance = utterance;
            this.clearsAhead = clearsAhead;
        }
    }

    /**
     * The commit was reached: with segmentByCommit, what was recognised since the last one is its final;
     * with a merge, what was recognised since it started.
     */
    private void completeCommitted() {
        AppendOnlyText text = appendOnly;
        if (text == null) {
            return;
        }
        synchronized (results) {
            if (segmentByCommit) {
                completeCollected(text, commitUtterance++);
                return;
            }
            Merge merge = merges.poll();
            if (merge == null) {
                return;
            }
            completeCollected(text, merge.utterance);
            mergedInto.clear();
            if (!merges.isEmpty() && merges.peek().clearsAhead == 0) {
                startMerge(); // the next commit's utterance starts here
            }
        }
    }

    /** The channel ended: merges whose commit will never be reached end with what they collected. */
    private void completeMerges() {
        AppendOnlyText text = appendOnly;
        if (text == null) {
            return;
        }
        synchronized (results) {
            for (Merge merge : merges) {
                completeCollected(text, merge.utterance);
            }
            merges.clear();
            mergedInto.clear();
        }
    }

    private void completeCollected(AppendOnlyText text, int u) {
        String fin = text.complete(u, committedText.toString());
        if (fin.isEmpty()) {
            each(l -> l.noResult(this, u));
        } else {
            long start = Math.max(0, commitStartMs);
            long end = Math.max(start, commitEndMs);
            each(l -> l.complete(this, u, fin, start, end));
        }
        committedText.setLength(0);
        commitStartMs = -1;
        commitEndMs = -1;
    }

    /** A clear was reached: merges waiting for it may start after it (the utterance in progress is gone). */
    private void clearReached() {
        synchronized (results) {
            clearsQueued--;
            speaking = null;
            for (Merge merge : merges) {
                if (merge.clearsAhead > 0) {
                    merge.clearsAhead--;
                }
            }
            if (!merges.isEmpty() && merges.peek().clearsAhead == 0 && !merges.peek().collecting) {
                startMerge();
            }
        }
    }

    /** The first merge collects from now: the recognizer's utterance in progress, if any, and those that start. */
    private void startMerge() {
        mergedInto.clear();
        Merge merge = merges.peek();
        merge.collecting = true;
        if (speaking != null) {
            mergedInto.put(speaking, merge.utterance);
        }
    }

    /** The client withdrew the audio since the last commit: so is what was recognised in it. */
    private void withdraw() {
        AppendOnlyText text = appendOnly;
        if (text != null && segmentByCommit) {
            text.abandon(commitUtterance);
            committedText.setLength(0);
            commitStartMs = -1;
            commitEndMs = -1;
        }
    }

    /**
     * The recognizer's results, to the channel's listeners. Each is delivered holding {@code results}:
     * see {@link #mergeUntilCommit}.
     */
    private final class StreamListener implements RecognitionListener {
        private final RecognitionChannel channel = RecognitionChannel.this;
        /** Per utterance, when speech started and stopped: an append-only utterance with no final still ends. */
        private final Map<Integer, long[]> spans = new java.util.HashMap<>();

        @Override
        public void partial(int utterance, String text) {
            synchronized (results) {
                AppendOnlyText appending = appendOnly;
                if (appending == null) {
                    each(l -> l.partial(channel, utterance, text));
                    return;
                }
                Integer into = mergedInto.get(utterance);
                boolean collected = segmentByCommit || into != null;
                int u = segmentByCommit ? commitUtterance : into != null ? into : utterance;
                String merged = collected && committedText.length() > 0 ? committedText + " " + text : text;
                String given = appending.partial(u, merged);
                if (given != null) {
                    each(l -> l.partial(channel, u, given));
                }
            }
        }

        @Override
        public void complete(int utterance, String text, long startMs, long endMs) {
            complete(utterance, text, startMs, endMs, null);
        }

        @Override
        public void complete(int utterance, String text, long startMs, long endMs, Confidence confidence) {
            synchronized (results) {
                long start = channelTime(startMs);
                long end = channelTime(endMs);
                spans.remove(utterance);
                if (Integer.valueOf(utterance).equals(speaking)) {
                    speaking = null;
                }
                Confidence inChannel = confidence == null ? null : new Confidence(confidence.utterance(), confidence.words().stream()
                        .map(w -> new Confidence.Word(w.text(), channelTime(w.startMs()), channelTime(w.endMs()), w.confidence())).toList());
                AppendOnlyText appending = appendOnly;
                if (appending != null && (segmentByCommit || mergedInto.remove(utterance) != null)) {
                    if (!text.isBlank()) {
                        committedText.append(committedText.length() > 0 ? " " : "").append(text.trim());
                    }
                    commitStartMs = commitStartMs < 0 ? start : Math.min(commitStartMs, start);
                    commitEndMs = Math.max(commitEndMs, end);
                    return;
                }
                String fin = appending == null ? text : appending.complete(utterance, text);
                // The words' confidences are the recognizer's words: kept only while the final is those words.
                Confidence said = inChannel == null || fin.equals(text) ? inChannel : new Confidence(inChannel.utterance(), java.util.List.of());
                each(l -> l.complete(channel, utterance, fin, start, end, said));
            }
        }

        @Override
        public void wordTimes(int utterance, java.util.List<WordTime> words) {
            synchronized (results) {
                if (segmentByCommit || mergedInto.containsKey(utterance)) {
                    // A part of an item made of several of the recognizer's utterances (a commit's, or a
                    // merge's): its final is masked, where redaction asks, over the span of the whole.
                    return;
                }
                java.util.List<WordTime> shifted = words.stream()
                        .map(w -> new WordTime(w.word(), channelTime(w.startMs()), channelTime(w.endMs()))).toList();
                each(l -> l.wordTimes(channel, utterance, shifted));
            }
        }

        @Override
        public void speechStarted(int utterance, long atMs) {
            synchronized (results) {
                long at = channelTime(atMs);
                spans.put(utterance, new long[] {at, at});
                speaking = utterance;
                if (!merges.isEmpty() && merges.peek().collecting) {
                    mergedInto.put(utterance, merges.peek().utterance);
                }
                int u = segmentByCommit ? commitUtterance : mergedInto.getOrDefault(utterance, utterance);
                each(l -> l.speechStarted(channel, u, at));
            }
        }

        @Override
        public void speechStopped(int utterance, long atMs) {
            synchronized (results) {
                long at = channelTime(atMs);
                long[] span = spans.get(utterance);
                if (span != null) {
                    span[1] = at;
                }
                if (Integer.valueOf(utterance).equals(speaking)) {
                    speaking = null;
                }
                int u = segmentByCommit ? commitUtterance : mergedInto.getOrDefault(utterance, utterance);
                each(l -> l.speechStopped(channel, u, at));
            }
        }

        @Override
        public void noResult(int utterance) {
            synchronized (results) {
                long[] span = spans.remove(utterance);
                if (Integer.valueOf(utterance).equals(speaking)) {
                    speaking = null;
                }
                AppendOnlyText appending = appendOnly;
                if (appending != null && (segmentByCommit || mergedInto.remove(utterance) != null)) {
                    return;
                }
                String given = appending == null ? "" : appending.abandon(utterance);
                if (given.isEmpty()) {
                    each(l -> l.noResult(channel, utterance));
                } else {
                    // text already given must end in a final, or the client's item and the archive differ
                    long start = span == null ? 0 : span[0];
                    long end = span == null ? start : span[1];
                    each(l -> l.complete(channel, utterance, given, start, end));
                }
            }
        }

        @Override
        public void error(String code, String message) {
            listener.error(channel, code, message);
        }
    }

    /** What the worker takes from the queue: a frame, a gap where frames were dropped, a marker, or the end. */
    private record Entry(byte[] audio, long droppedBytes, long arrivedNanos) {
        static final Entry END = new Entry(null, 0, 0);
        static final Entry COMMIT = new Entry(null, 0, 0);
        static final Entry CLEAR = new Entry(null, 0, 0);
        static final Entry IDLE = new Entry(null, 0, 0);
    }
}
