package dev.parley.webhook;

import dev.parley.archive.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The on-disk spool. Layout:
 * <pre>
 *   dir/.lock                                 held by the running dispatcher
 *   dir/pending/EVENT_ID.URL_HASH.json        one delivery still to make
 *   dir/dead/EVENT_ID.URL_HASH.json           one delivery given up on, with its last failure
 *   dir/dead/NAME.unreadable                  a pending file that could not be parsed, set aside
 *   dir/{pending,dead}/.NAME.RANDOM.tmp       a write in progress; removed at start
 * </pre>
 * Every file is written to a temp file in the same directory, then renamed over the target: after a crash a
 * file is either its old or its new content, never half of one. Written to the OS, a file survives Parley
 * being killed; with {@code fsync} ({@code parley.fsync}) the temp file and then the directory are also forced
 * to the disk, so it survives a power loss, at the cost of waiting for the disk.
 */
final class Spool implements AutoCloseable {

    static final String JSON_SUFFIX = ".json";
    static final String TEMP_SUFFIX = ".tmp";
    static final String UNREADABLE_SUFFIX = ".unreadable";

    final Path root;
    final Path pending;
    final Path dead;
    private final boolean fsync;
    private FileChannel lockChannel;
    private FileLock lock;

    Spool(Path root, boolean fsync) {
        this.fsync = fsync;
        this.root = root.toAbsolutePath().normalize();
        this.pending = this.root.resolve("pending");
        this.dead = this.root.resolve("dead");
    }

    /** Creates {@code pending/} and {@code dead/}; refuses an unwritable directory with a clear message. */
    void createDirectories() {
        try {
            Files.createDirectories(pending);
            Files.createDirectories(dead);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot create the webhook spool directory " + this.root + " ("
                    + e + "). Set " + WebhookSettings.DIR + " to a writable directory.", e);
        }
    }

    /** Takes the spool for this process, so two dispatchers never deliver the same files twice. */
    synchronized void lock() {
        try {
            lockChannel = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                lockChannel.close();
                lockChannel = null;
                throw new IllegalStateException("The webhook spool " + root + " is in use by another dispatcher; "
                        + "give each Parley its own " + WebhookSettings.DIR + ".");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock the webhook spool " + root, e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException e) {
            // the lock goes with the channel or the process anyway
        } finally {
            lock = null;
            lockChannel = null;
        }
    }

    /** Removes writes that a crash interrupted; returns how many. */
    int removeTempFiles() throws IOException {
        int removed = 0;
        for (Path folder : List.of(pending, dead)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*" + TEMP_SUFFIX)) {
                for (Path file : files) {
                    Files.deleteIfExists(file);
                    removed++;
                }
            }
        }
        return removed;
    }

    /** The complete pending files (temp files and anything else are not deliveries). */
    List<Path> pendingFiles() throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(pending, "*" + JSON_SUFFIX)) {
            for (Path file : files) {
                if (!file.getFileName().toString().startsWith(".") && Files.isRegularFile(file)) {
                    out.add(file);
                }
            }
        }
        return out;
    }

    static String fileName(String eventId, String url) {
        return eventId + "." + urlHash(url) + JSON_SUFFIX;
    }

    /** First 16 hex digits of the SHA-256 of the URL: stable across restarts, safe in a file name. */
    static String urlHash(String url) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(url.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes several files, each atomically, forcing their directories once at the end. */
    void writeAll(Map<Path, byte[]> files) throws IOException {
        List<Path[]> staged = new ArrayList<>();
        try {
            for (Map.Entry<Path, byte[]> file : files.entrySet()) {
                staged.add(new Path[]{writeTemp(file.getKey(), file.getValue()), file.getKey()});
            }
            for (Path[] move : staged) {
                Files.move(move[0], move[1], StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            for (Path[] move : staged) {
                try {
                    Files.deleteIfExists(move[0]);
                } catch (IOException ignored) {
                    // removed at the next start
                }
            }
            throw e;
        }
        files.keySet().stream().map(Path::getParent).distinct().forEach(this::forceDirectory);
    }

    void write(Path target, byte[] content) throws IOException {
        writeAll(Map.of(target, content));
    }

    /** Moves a delivery from pending to dead: the dead file is complete on disk before the pending one goes. */
    void moveToDead(Path pendingFile, byte[] deadContent) throws IOException {
        write(dead.resolve(pendingFile.getFileName()), deadContent);
        Files.deleteIfExists(pendingFile);
        forceDirectory(pending);
    }

    /** Sets aside a pending file that cannot be read, so that it is neither lost nor retried forever. */
    Path setAside(Path pendingFile) throws IOException {
        Path target = dead.resolve(pendingFile.getFileName() + "." + System.currentTimeMillis() + UNREADABLE_SUFFIX);
        Files.move(pendingFile, target, StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(pending);
        forceDirectory(dead);
        return target;
    }

    private Path writeTemp(Path target, byte[] content) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + TEMP_SUFFIX);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            if (fsync) {
                channel.force(true);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        return temp;
    }

    /** Makes renames and deletions in a directory durable, with fsync (a no-op where the platform cannot). */
    void forceDirectory(Path directory) {
        if (fsync) {
            AtomicFiles.forceFolder(directory);
        }
    }
}
