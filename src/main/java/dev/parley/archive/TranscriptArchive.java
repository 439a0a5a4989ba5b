package dev.parley.archive;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

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

    public TranscriptArchive() {
        this(DEFAULT_ROOT);
    }

    public TranscriptArchive(Path root) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
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
            return new SessionArchive(sessionId, folder, channels, sampleRate, encoding);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the archive of session " + sessionId, e);
        }
    }

    @Override
    public String toString() {
        return "TranscriptArchive[" + root + "]";
    }
}
