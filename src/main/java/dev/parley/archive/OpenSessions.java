package dev.parley.archive;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Which archived sessions are not closed yet, so that the sessions a crash leaves open can be found
 * and closed at the next start without reading the whole archive:
 * <pre>
 *   archive/.open/RUN/.lock         held by the running Parley that made RUN (the OS lets go when it dies)
 *   archive/.open/RUN/SESSION-ID    its folder, relative to the archive root: the session is open
 * </pre>
 * A marker is written when a session's archive is opened and removed once the session's {@code
 * session.closed} has been recorded (archive and webhook spool). At start, the markers of every run
 * whose lock can be taken (its Parley is gone: killed, crashed, or stopped before its sessions
 * closed) are the sessions left open; a run whose Parley still runs on the same archive is left alone.
 */
public final class OpenSessions {

    private static final Logger LOG = LoggerFactory.getLogger(OpenSessions.class);
    static final String DIR = ".open";
    private static final String LOCK = ".lock";

    /** A session a crash left open: its id and archive folder. */
    public record LeftOpen(String sessionId, Path folder, Path marker) {
    }

    private final Path root;
    private final boolean fsync;
    private final Map<String, Path> markers = new ConcurrentHashMap<>();
    private volatile boolean started;
    private Path run;
    private FileChannel lockChannel;
    private FileLock lock;

    public OpenSessions(Path archiveRoot, boolean fsync) {
        this.root = archiveRoot.toAbsolutePath().normalize();
        this.fsync = fsync;
    }

    /**
     * Lists the sessions that the runs of Parleys that are gone left open (their markers stay until
     * {@link #closed} is called for each). This Parley's own run folder is made with its first session.
     */
    public synchronized List<LeftOpen> start() {
        started = true;
        List<LeftOpen> left = new ArrayList<>();
        Path dir = root.resolve(DIR);
        if (!Files.isDirectory(dir)) {
            return left;
        }
        try (DirectoryStream<Path> runs = Files.newDirectoryStream(dir)) {
            for (Path other : runs) {
                if (Files.isDirectory(other)) {
                    left.addAll(leftOpen(other));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the list of open sessions in " + dir, e);
        }
        return left;
    }

    /** This Parley's run folder, made and locked on first use. */
    private synchronized Path run() throws IOException {
        if (run == null) {
            Path dir = Files.createDirectories(root.resolve(DIR));
            Path mine = dir.resolve("run-" + Instant.now().toEpochMilli() + "-" + ProcessHandle.current().pid() + "-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffff));
            Files.createDirectory(mine);
            lockChannel = FileChannel.open(mine.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = lockChannel.tryLock();
            run = mine;
        }
        return run;
    }

    /** The markers of a run whose Parley is gone; none if it still runs (its lock is held). */
    private List<LeftOpen> leftOpen(Path other) throws IOException {
        Path lockFile = other.resolve(LOCK);
        if (Files.exists(lockFile)) {
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE);
                 FileLock held = ch.tryLock()) {
                if (held == null) {
                    return List.of(); // another Parley on this archive is running
                }
            } catch (java.nio.channels.OverlappingFileLockException e) {
                return List.of();
            }
        }
        List<LeftOpen> left = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(other)) {
            for (Path marker : files) {
                String id = marker.getFileName().toString();
                if (id.equals(LOCK)) {
                    continue;
                }
                try {
                    SafeNames.require("session id", id);
                    String relative = Files.readString(marker, StandardCharsets.UTF_8).trim();
                    Path folder = SafeNames.inside(root, root.resolve(relative));
                    markers.put(id, marker);
                    left.add(new LeftOpen(id, folder, marker));
                } catch (IllegalArgumentException | IOException e) {
                    LOG.warn("Ignoring {}: not a marker of an open session ({})", marker, e.getMessage());
                    Files.deleteIfExists(marker);
                }
            }
        }
        if (left.isEmpty()) {
            removeRun(other);
        }
        return left;
    }

    /** A session's archive was opened in {@code folder}. */
    void opened(String sessionId, Path folder) {
        if (!started) {
            return; // the archive is off
        }
        try {
            Path marker = run().resolve(SafeNames.require("session id", sessionId));
            Files.writeString(marker, root.relativize(folder).toString(), StandardCharsets.UTF_8);
            if (fsync) {
                try (FileChannel ch = FileChannel.open(marker, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                AtomicFiles.forceFolder(marker.getParent());
            }
            markers.put(sessionId, marker);
        } catch (IOException e) {
            // The session is archived all the same; only a crash would leave it open.
            LOG.warn("Cannot mark session {} open in {}: {}", sessionId, root.resolve(DIR), e.toString());
        }
    }

    /** The session's {@code session.closed} is recorded: it is no longer open. */
    public void closed(String sessionId) {
        Path marker = markers.remove(sessionId);
        if (marker == null) {
            return;
        }
        try {
            Files.deleteIfExists(marker);
            Path dir = marker.getParent();
            if (!dir.equals(currentRun()) && !hasMarkers(dir)) {
                removeRun(dir);
            }
        } catch (IOException e) {
            LOG.warn("Cannot remove {}: {}", marker, e.toString());
        }
    }

    private synchronized Path currentRun() {
        return run;
    }

    /** Lets go of this Parley's run; its folder goes too unless sessions are still marked open in it. */
    public synchronized void stop() {
        try {
            if (lock != null) {
                lock.release();
                lockChannel.close();
            }
            if (run != null && !hasMarkers(run)) {
                removeRun(run);
            }
        } catch (IOException e) {
            LOG.warn("Cannot tidy {}: {}", run, e.toString());
        } finally {
            lock = null;
            lockChannel = null;
        }
    }

    private static boolean hasMarkers(Path dir) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                if (!f.getFileName().toString().equals(LOCK)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void removeRun(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve(LOCK));
        Files.deleteIfExists(dir);
    }
}
