package dev.parley.archive;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.session.EventJson;
import dev.parley.session.SessionEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The on-disk record of one session, in its own folder (see {@link TranscriptArchive}):
 * <pre>
 *   call.json                   settings, metadata, start/end, engines, consent (rewritten atomically)
 *   transcript.jsonl            one event a line, in the order appended (seq order)
 *   captions.&lt;lang&gt;.vtt / .srt  a cue per final transcript (source language) and final translation
 *   audio.wav                   the call's audio as received, one WAV channel per call channel
 *   tts/&lt;item_id&gt;.&lt;lang&gt;.wav    synthesised speech of each translation
 * </pre>
 * Every file is valid at every moment and a crash loses at most the line or cue being written.
 * Every write reaches the OS before the call returns (it survives the process being killed); with
 * {@code fsync} also the disk (it survives a power loss), at the cost of waiting for it.
 * Thread-safe: calls may come from several threads; each file has its own lock, and
 * {@link #close(Map)} waits for calls under way. A call after close throws IllegalStateException;
 * an I/O failure throws UncheckedIOException.
 */
public final class SessionArchive implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SessionArchive.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public static final String CALL_JSON = "call.json";
    public static final String TRANSCRIPT = "transcript.jsonl";
    public static final String AUDIO = "audio.wav";
    public static final String TTS = "tts";

    /** How far one channel of a multi-channel call may run ahead of another before the other is padded with silence. */
    static final long MAX_CHANNEL_LAG_MS = 1000;

    private final String sessionId;
    private final Path folder;
    private final List<String> channels;
    private final int sampleRate;
    private final String encoding;
    private final boolean fsync;

    /** Calls hold the read side (they run side by side); close holds the write side. */
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private final Object transcriptLock = new Object();
    private final FileChannel transcript;
    private long transcriptBytes;

    private final Object captionLock = new Object();
    private final Map<String, CaptionTrack> captions = new HashMap<>();

    private final Object audioLock = new Object();
    private final WavWriter audio;

    private final Object callLock = new Object();

    SessionArchive(String sessionId, Path folder, List<String> channels, int sampleRate, String encoding, boolean fsync)
            throws IOException {
        this.fsync = fsync;
        this.sessionId = sessionId;
        this.folder = folder;
        this.channels = List.copyOf(channels);
        this.sampleRate = sampleRate;
        this.encoding = encoding;
        this.transcript = FileChannel.open(folder.resolve(TRANSCRIPT),
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        WavWriter wav;
        try {
            wav = new WavWriter(folder.resolve(AUDIO), this.channels, sampleRate, "mulaw".equals(encoding),
                    MAX_CHANNEL_LAG_MS * sampleRate / 1000);
        } catch (IOException | RuntimeException e) {
            transcript.close();
            throw e;
        }
        this.audio = wav;
        if (fsync) {
            AtomicFiles.forceFolder(folder);
        }
    }

    public String sessionId() { return sessionId; }

    /** The session's folder, {@code root/YYYY/MM/DD/<session-id>}. */
    public Path folder() { return folder; }

    public List<String> channels() { return channels; }

    public int sampleRate() { return sampleRate; }

    public String encoding() { return encoding; }

    public boolean isClosed() { return closed; }

    /**
     * Writes {@code call.json} (pretty-printed, exactly the given map) atomically: a reader sees the
     * previous version or this one, never a mix. {@code java.time} values are written as ISO text.
     */
    public void writeCallJson(Map<String, Object> call) {
        Objects.requireNonNull(call, "call");
        underReadLock(() -> {
            synchronized (callLock) {
                writeCall(call);
            }
        });
    }

    /**
     * Archives one event as a line of {@code transcript.jsonl}, and a final transcript or translation
     * with a span also as a caption cue in its language.
     */
    public void append(SessionEvent event) {
        Objects.requireNonNull(event, "event");
        String type = event.type();
        // Partial transcripts are not archived: each is superseded by the next one and, in the end,
        // by the final of the same item_id, which is.
        if ("transcript.partial".equals(type)) {
            return;
        }
        byte[] line = line(event);
        underReadLock(() -> {
            synchronized (transcriptLock) {
                ByteBuffer buf = ByteBuffer.wrap(line);
                try {
                    // One write of the whole line and its '\n', straight to the OS (no user-space
                    // buffer): a reader sees whole lines, and a crash of this process loses nothing
                    // written. A failed write is cut off so the next line starts on a line of its own.
                    AtomicFiles.writeFully(transcript, buf);
                    if (fsync) {
                        transcript.force(false);
                    }
                } catch (IOException e) {
                    try {
                        transcript.truncate(transcriptBytes);
                    } catch (IOException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                    throw e;
                }
                transcriptBytes += line.length;
            }
            if (("transcript.final".equals(type) || "translation.final".equals(type))
                    && event.startMs() != null && event.endMs() != null && event.language() != null) {
                caption(event);
            }
        });
    }

    /**
     * Appends a channel's audio, as received, to {@code audio.wav}. Bytes need not hold whole
     * samples; a split sample is completed by the next call.
     */
    public void appendAudio(String channel, byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        underReadLock(() -> {
            synchronized (audioLock) {
                audio.append(channel, bytes);
            }
        });
    }

    /**
     * Appends silence to a channel of {@code audio.wav}, or to every channel when {@code channel} is
     * null: audio the call had but Parley did not receive, so what follows keeps its time in the call.
     */
    public void appendSilence(String channel, long bytesPerChannel) {
        underReadLock(() -> {
            synchronized (audioLock) {
                audio.appendSilence(channel, bytesPerChannel);
            }
        });
    }

    /** Writes {@code tts/<item_id>.<lang>.wav} atomically. */
    public void writeTts(String itemId, String language, byte[] wav) {
        SafeNames.require("item id", itemId);
        String lang = SafeNames.require("language", language).toLowerCase(Locale.ROOT);
        Objects.requireNonNull(wav, "wav");
        underReadLock(() -> {
            Path dir = SafeNames.inside(folder, folder.resolve(TTS));
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                if (fsync) {
                    AtomicFiles.forceFolder(folder);
                }
            }
            Path file = SafeNames.inside(dir, dir.resolve(itemId + "." + lang + ".wav"));
            AtomicFiles.write(file, wav, fsync);
        });
    }

    /**
     * Ends the archive: writes the audio still buffered (padding channels to the longest), rewrites
     * {@code call.json} with {@code finalCall} unless it is null, and closes every file. Waits for
     * calls under way; only the first close does anything.
     */
    public void close(Map<String, Object> finalCall) {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            List<Exception> failures = new ArrayList<>();
            attempt(failures, () -> audio.close(fsync));
            for (CaptionTrack track : captions.values()) {
                attempt(failures, track::close);
            }
            attempt(failures, () -> {
                try {
                    if (fsync) {
                        transcript.force(true);
                    }
                } finally {
                    transcript.close();
                }
            });
            if (finalCall != null) {
                attempt(failures, () -> writeCall(finalCall));
            }
            if (!failures.isEmpty()) {
                Exception first = failures.get(0);
                failures.subList(1, failures.size()).forEach(first::addSuppressed);
                throw first instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) first;
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    /** Closes without rewriting {@code call.json}. */
    @Override
    public void close() {
        close(null);
    }

    /**
     * The whole lines of a {@code transcript.jsonl}, as a reader should take them while the file is
     * being written or after a crash: a last line without its {@code '\n'} is incomplete and left out.
     */
    public static List<String> readTranscript(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            int end = bytes.length;
            while (end > 0 && bytes[end - 1] != '\n') {
                end--;
            }
            String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
            return text.isEmpty() ? List.of() : List.of(text.split("\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void caption(SessionEvent event) throws IOException {
        String language = event.language();
        if (!SafeNames.SAFE.matcher(language).matches()) {
            // The event itself is archived above; only a file can not be named after this code.
            LOG.warn("session {}: no caption for {} in language {}: not a safe language code", sessionId, event,
                    SafeNames.describe(language));
            return;
        }
        if (CaptionTrack.clean(event.text()).isEmpty()) {
            return; // nothing to show: no cue, and no caption file for it
        }
        String lang = language.toLowerCase(Locale.ROOT);
        String speaker = channels.size() > 1 ? event.channel() : null;
        synchronized (captionLock) {
            CaptionTrack track = captions.get(lang);
            if (track == null) {
                track = new CaptionTrack(folder, lang, fsync);
                captions.put(lang, track);
            }
            track.add(event.startMs(), event.endMs(), speaker, event.text());
        }
    }

    /** The event's JSON and '\n'; a {@code tts.audio} event without its base64 audio (that is in tts/). */
    static byte[] line(SessionEvent event) {
        try {
            String json = EventJson.write(event);
            if ("tts.audio".equals(event.type())) {
                ObjectNode node = (ObjectNode) MAPPER.readTree(json);
                node.remove("audio");
                json = MAPPER.writeValueAsString(node);
            }
            return (json + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot write " + event.describe() + " as JSON", e);
        }
    }

    private void writeCall(Map<String, Object> call) throws IOException {
        String json = MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(plain(call));
        AtomicFiles.write(folder.resolve(CALL_JSON), (json + "\n").getBytes(StandardCharsets.UTF_8), fsync);
    }

    /** The value with {@code java.time} objects as their ISO text, which plain Jackson cannot write. */
    private static Object plain(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(k, plain(v)));
            return out;
        }
        if (value instanceof Collection<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            list.forEach(v -> out.add(plain(v)));
            return out;
        }
        if (value instanceof java.time.temporal.TemporalAccessor || value instanceof java.time.Duration
                || value instanceof java.time.ZoneId || value instanceof Path) {
            return value.toString();
        }
        return value;
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private void underReadLock(IoAction action) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("the archive of session " + sessionId + " is closed");
            }
            action.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private static void attempt(List<Exception> failures, IoAction action) {
        try {
            action.run();
        } catch (IOException | RuntimeException e) {
            failures.add(e);
        }
    }

    @Override
    public String toString() {
        return "SessionArchive[" + folder + "]";
    }

}
