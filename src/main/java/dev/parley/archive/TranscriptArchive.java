package dev.parley.archive;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.session.SessionEvent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The on-disk record of every session: one folder per session, {@code root/YYYY/MM/DD/<session-id>/}
 * by the UTC date the session started, holding the files described in {@link SessionArchive}.
 *
 * <p>Names that reach the file system (session id here; item ids and language codes in the session
 * archive) are untrusted, even though the server makes them: only {@code [A-Za-z0-9_-]{1,64}} is
 * accepted, anything else is an IllegalArgumentException, and every resolved path is checked to stay
 * inside the root (also after following links), so nothing can be written outside it.
 */
public final class TranscriptArchive {

    /** The root used when none is given, relative to the working directory. */
    public static final Path DEFAULT_ROOT = Path.of("archive");

    private static final int MAX_SAMPLE_RATE = 384_000;

    private final Path root;
    private final boolean fsync;

    public TranscriptArchive() {
        this(DEFAULT_ROOT);
    }

    public TranscriptArchive(Path root) {
        this(root, false);
    }

    /** @param fsync {@code parley.fsync}: force every write to the disk before it returns (see {@link SessionArchive}) */
    public TranscriptArchive(Path root, boolean fsync) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
        this.fsync = fsync;
    }

    public Path root() {
        return root;
    }

    /** The folder a session started at {@code startedAt} is archived in (nothing is created). */
    public Path folderOf(String sessionId, Instant startedAt) {
        SafeNames.require("session id", sessionId);
        Objects.requireNonNull(startedAt, "startedAt");
        LocalDate day = startedAt.atZone(ZoneOffset.UTC).toLocalDate();
        Path folder = root.resolve(String.format("%04d", day.getYear()))
                .resolve(String.format("%02d", day.getMonthValue()))
                .resolve(String.format("%02d", day.getDayOfMonth()))
                .resolve(sessionId);
        return SafeNames.inside(root, folder);
    }

    /** A session in the archive: its folder and its {@code call.json} (empty if it cannot be read). */
    public record Archived(String sessionId, Path folder, Map<String, Object> call) {

        /** When the session ended, or started if it never said it ended (a crash). */
        public Instant lastActivity() {
            Object at = call.getOrDefault("ended_at", call.get("started_at"));
            return at == null ? Instant.EPOCH : Instant.parse(at.toString());
        }

        @SuppressWarnings("unchecked")
        public Map<String, Object> metadata() {
            return call.get("metadata") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        }
    }

    /** Every session in the archive ({@code root/YYYY/MM/DD/<id>}), oldest day first. */
    public List<Archived> sessions() {
        List<Archived> found = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return found;
        }
        try (Stream<Path> days = Files.find(root, 3, (path, attrs) -> attrs.isDirectory()
                && root.relativize(path).getNameCount() == 3
                && root.relativize(path).toString().matches("\\d{4}/\\d{2}/\\d{2}"))) {
            for (Path day : days.sorted().toList()) {
                try (Stream<Path> folders = Files.list(day)) {
                    for (Path folder : folders.sorted().toList()) {
                        String id = folder.getFileName().toString();
                        if (Files.isDirectory(folder) && SafeNames.SAFE.matcher(id).matches()) {
                            found.add(new Archived(id, folder, readCall(folder)));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the archive in " + root, e);
        }
        return found;
    }

    /** The session archived in {@code folder} (one of the archive's), its {@code call.json} read. */
    public Archived archived(Path folder) {
        return new Archived(folder.getFileName().toString(), folder, readCall(folder));
    }

    public Optional<Archived> find(String sessionId) {
        if (sessionId == null || !SafeNames.SAFE.matcher(sessionId).matches()) {
            return Optional.empty();
        }
        return sessions().stream().filter(s -> s.sessionId().equals(sessionId)).findFirst();
    }

    /**
     * Deletes a session's folder and everything in it, deepest first. Returns the files and folders
     * removed, relative to the root.
     */
    public List<String> delete(Archived session) {
        Path folder = SafeNames.inside(root, session.folder());
        List<String> removed = new ArrayList<>();
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path path : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
                removed.add(root.relativize(path).toString());
            }
            if (fsync) {
                AtomicFiles.forceFolder(folder.getParent());
            }
        } catch (NoSuchFileException gone) {
            // removed meanwhile: nothing more to do
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the archive of session " + session.sessionId(), e);
        }
        Collections.reverse(removed);
        return removed;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readCall(Path folder) {
        try {
            return new ObjectMapper().readValue(
                    folder.resolve(SessionArchive.CALL_JSON).toFile(), Map.class);
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    /**
     * Creates the session's folder and opens its archive.
     *
     * @param channels   the call's channels, in WAV channel order, e.g. {@code [speaker]} or {@code [customer, agent]}
     * @param sampleRate the audio's rate as received
     * @param encoding   {@code pcm16} or {@code mulaw}
     * @throws IllegalArgumentException if a name is unsafe or a setting invalid; nothing is created
     * @throws IllegalStateException    if the session's folder exists already
     * @throws UncheckedIOException     if the files cannot be created
     */
    public SessionArchive open(String sessionId, Instant startedAt, List<String> channels, int sampleRate, String encoding) {
        Path folder = folderOf(sessionId, startedAt);
        Objects.requireNonNull(channels, "channels");
        if (channels.isEmpty()) {
            throw new IllegalArgumentException("a session has at least one channel");
        }
        for (String channel : channels) {
            SafeNames.require("channel", channel);
        }
        if (new HashSet<>(channels).size() != channels.size()) {
            throw new IllegalArgumentException("channel names repeat: " + channels);
        }
        if (sampleRate <= 0 || sampleRate > MAX_SAMPLE_RATE) {
            throw new IllegalArgumentException("sample rate must be 1.." + MAX_SAMPLE_RATE + ", got " + sampleRate);
        }
        if (!"pcm16".equals(encoding) && !"mulaw".equals(encoding)) {
            throw new IllegalArgumentException("encoding must be pcm16 or mulaw, got " + SafeNames.describe(encoding));
        }
        try {
            // Folder by folder, so that a link planted inside the root is found before anything is
            // created through it: every existing step must really lie inside the root.
            Files.createDirectories(root);
            Path realRoot = root.toRealPath();
            Path step = root;
            for (Path name : root.relativize(folder.getParent())) {
                step = step.resolve(name);
                try {
                    Files.createDirectory(step);
                } catch (FileAlreadyExistsException e) {
                    // there already; checked below
                }
                if (!step.toRealPath().startsWith(realRoot) || !Files.isDirectory(step)) {
                    throw new IllegalArgumentException(step + " leads outside " + realRoot);
                }
            }
            try {
                Files.createDirectory(folder);
            } catch (FileAlreadyExistsException e) {
                throw new IllegalStateException("session " + sessionId + " is archived already in " + folder);
            }
            if (fsync) {
                AtomicFiles.forceFolder(folder.getParent());
            }
            return new SessionArchive(sessionId, folder, channels, sampleRate, encoding, fsync);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the archive of session " + sessionId, e);
        }
    }

    /**
     * What the archive holds of a session a crash left open (see {@link OpenSessions}): its {@code
     * call.json}, the {@code seq} of its last whole event in {@code transcript.jsonl}, and how much of
     * the call's audio {@code audio.wav} holds.
     */
    public record LeftOpenSession(String sessionId, Path folder, Map<String, Object> call, long lastSeq, long audioMillis) {
    }

    /**
     * Reads a session a crash left open and removes the temp files of writes it interrupted. Null
     * when there is nothing to close: no {@code call.json}, or one that says the session ended (the
     * crash came after its {@code session.closed} was archived).
     */
    public LeftOpenSession inspect(OpenSessions.LeftOpen left) throws IOException {
        Path folder = SafeNames.inside(root, left.folder());
        for (Path dir : List.of(folder, folder.resolve(SessionArchive.TTS))) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : files.filter(AtomicFiles::isTemp).toList()) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        }
        Path callJson = folder.resolve(SessionArchive.CALL_JSON);
        if (!Files.isRegularFile(callJson)) {
            return null;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> call = new ObjectMapper().readValue(callJson.toFile(), LinkedHashMap.class);
        if (call.containsKey("ended_at")) {
            return null;
        }
        long lastSeq = 0;
        Path transcript = folder.resolve(SessionArchive.TRANSCRIPT);
        if (Files.exists(transcript)) {
            List<String> lines = SessionArchive.readTranscript(transcript);
            if (!lines.isEmpty()) {
                lastSeq = new ObjectMapper().readTree(lines.get(lines.size() - 1)).path("seq").asLong();
            }
        }
        return new LeftOpenSession(left.sessionId(), folder, call, lastSeq, wavMillis(folder.resolve(SessionArchive.AUDIO)));
    }

    /**
     * Closes the archive of a session a crash left open: a last line the crash cut short is removed,
     * {@code closed} is appended, and {@code call.json} gets its end, as a normal close would.
     */
    public void closeLeftOpen(String sessionId, Instant startedAt, SessionEvent closed) {
        Path folder = folderOf(sessionId, startedAt);
        try {
            try (FileChannel transcript = FileChannel.open(folder.resolve(SessionArchive.TRANSCRIPT),
                    StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long end = transcript.size();
                ByteBuffer one = ByteBuffer.allocate(1);
                while (end > 0 && transcript.read(one.clear(), end - 1) == 1 && one.get(0) != '\n') {
                    end--;
                }
                transcript.truncate(end);
                AtomicFiles.writeFully(transcript, ByteBuffer.wrap(SessionArchive.line(closed)), end);
                if (fsync) {
                    transcript.force(true);
                }
            }
            Path callJson = folder.resolve(SessionArchive.CALL_JSON);
            @SuppressWarnings("unchecked")
            Map<String, Object> call = new ObjectMapper().readValue(callJson.toFile(), LinkedHashMap.class);
            call.put("ended_at", closed.emittedAt());
            call.put("end_reason", closed.field("reason"));
            call.put("audio", closed.field("audio"));
            AtomicFiles.write(callJson, (new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(call) + "\n")
                    .getBytes(StandardCharsets.UTF_8), fsync);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the archive of session " + sessionId + " in " + folder, e);
        }
    }

    /** Milliseconds of audio a WAV's header says it holds; 0 if there is none or it cannot be read. */
    private static long wavMillis(Path wav) {
        if (!Files.isRegularFile(wav)) {
            return 0;
        }
        try (FileChannel ch = FileChannel.open(wav, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            int pos = 12;
            int rate = 0;
            int blockAlign = 0;
            while (pos + 8 <= b.position()) {
                int id = b.getInt(pos);
                long size = b.getInt(pos + 4) & 0xFFFF_FFFFL;
                if (id == 0x20746d66) { // "fmt "
                    rate = b.getInt(pos + 12);
                    blockAlign = b.getShort(pos + 20);
                } else if (id == 0x61746164) { // "data"
                    return rate > 0 && blockAlign > 0 ? size / blockAlign * 1000 / rate : 0;
                }
                pos += 8 + (int) size + (int) (size & 1);
            }
        } catch (IOException | RuntimeException e) {
            // no audio time known
        }
        return 0;
    }

    @Override
    public String toString() {
        return "TranscriptArchive[" + root + "]";
    }
}
