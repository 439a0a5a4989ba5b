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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One channel of a call on its way into a recognizer: audio frames are queued as they arrive,
 * then decoded, checked for level faults, resampled and recognised on a shared worker pool, one
 * batch at a time so that many channels share few threads fairly. Frames are processed strictly in
 * the order {@link #offer} received them.
 *
 * <p>The queue is bounded in milliseconds of audio: a channel that falls behind real time beyond it
 * drops new frames, counts them and says so, rather than growing without bound.
 */
public final class RecognitionChannel {

    /** Audio processed per turn on a worker before letting other channels run. */
    private static final long BATCH_MILLIS = 200;

    private final String name;
    private final String language;
    private final AudioFormat format;
    private final RecognitionStream stream;
    /** Null when the recognizer wants no audio (archive-only): nothing is resampled or fed. */
    private final Resampler resampler;
    private final LevelMonitor levels;
    private final Executor workers;
    private final ChannelListener listener;
    private final long maxQueuedBytes;

    private final Queue<Entry> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicBoolean ended = new AtomicBoolean();
    private final AtomicLong bytesDropped = new AtomicLong();
    private volatile long lastDropReportNanos;

    // Owned by whichever worker runs the channel's turn; turns never overlap.
    private final MessageDigest digest;
    private long bytesProcessed;
    /** Stream time (ms) at which audio went missing, mapped to the total missing up to then. */
    private final NavigableMap<Long, Long> gaps = new TreeMap<>();
    private long droppedMillisSeen;
    private volatile ChannelStats finalStats;

    public RecognitionChannel(String name, String language, AudioFormat format, Recognizer recognizer,
                              long maxQueuedMillis, int levelWindowMillis, Executor workers,
                              ChannelListener listener) throws CapacityException {
        this.name = name;
        this.language = language;
        this.format = format;
        this.workers = workers;
        this.listener = listener;
        this.maxQueuedBytes = format.bytesFor(maxQueuedMillis);
        this.resampler = recognizer.wantsAudio() ? new Resampler(format.sampleRate(), recognizer.sampleRate()) : null;
        this.levels = new LevelMonitor(format.sampleRate(), levelWindowMillis);
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
        this.stream = recognizer.open(language, format.sampleRate(), new StreamListener());
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
        if (queuedBytes.get() + frame.length > maxQueuedBytes) {
            drop(frame);
            return false;
        }
        queuedBytes.addAndGet(frame.length);
        queue.add(new Entry(frame, 0));
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
            queue.add(new Entry(null, bytes));
            schedule();
        }
    }

    /** No more audio: once the queue is drained, the last utterance is finalised. Idempotent. */
    public void endOfInput() {
        if (ended.compareAndSet(false, true)) {
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

    private void drop(byte[] frame) {
        long total = bytesDropped.addAndGet(frame.length);
        // The gap is recorded on the worker's timeline, in order with the frames around it.
        queue.add(new Entry(null, frame.length));
        schedule();
        long now = System.nanoTime();
        if (now - lastDropReportNanos > 1_000_000_000L) {
            lastDropReportNanos = now;
            listener.error(this, "overloaded", "The recognizer for channel '" + name
                    + "' is more than " + format.millisOf(maxQueuedBytes) + " ms behind real time; "
                    + format.millisOf(total) + " ms of audio (" + total + " bytes) dropped so far.");
        }
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            workers.execute(this::runTurn);
        }
    }

    private void runTurn() {
        long budget = format.bytesFor(BATCH_MILLIS);
        try {
            Entry entry;
            while (budget > 0 && (entry = queue.poll()) != null) {
                if (entry == Entry.END) {
                    finish();
                    return;
                }
                if (entry.audio() == null) {
                    droppedMillisSeen += format.millisOf(entry.droppedBytes());
                    gaps.put(format.millisOf(bytesProcessed), droppedMillisSeen);
                    continue;
                }
                queuedBytes.addAndGet(-entry.audio().length);
                budget -= entry.audio().length;
                process(entry.audio());
            }
        } catch (RuntimeException e) {
            listener.error(this, "recognizer_failed", "Recognition failed on channel '" + name + "': " + e.getMessage());
        }
        scheduled.set(false);
        if (!queue.isEmpty()) {
            schedule();
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

    private void finish() {
        try {
            stream.flush();
        } finally {
            stream.close();
            finalStats = new ChannelStats(bytesProcessed, HexFormat.of().formatHex(digest.digest()),
                    bytesDropped.get(), format.millisOf(bytesProcessed));
            listener.finished(this);
        }
    }

    /** Maps a time on the recognizer's timeline to the channel's, adding back audio dropped before it. */
    private long channelTime(long streamMillis) {
        Map.Entry<Long, Long> gap = gaps.floorEntry(streamMillis);
        return streamMillis + (gap == null ? 0 : gap.getValue());
    }

    private final class StreamListener implements RecognitionListener {
        @Override
        public void partial(int utterance, String text) {
            listener.partial(RecognitionChannel.this, utterance, text);
        }

        @Override
        public void complete(int utterance, String text, long startMs, long endMs) {
            listener.complete(RecognitionChannel.this, utterance, text, channelTime(startMs), channelTime(endMs));
        }
    }

    /** What the worker takes from the queue: a frame, a gap where frames were dropped, or the end. */
    private record Entry(byte[] audio, long droppedBytes) {
        static final Entry END = new Entry(null, 0);
    }
}
