package dev.parley.archive;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Whole-file writes that a reader sees either entirely or not at all: temp file, rename. With
 * {@code fsync} the temp file is forced to the disk before the rename, and the folder after it, so
 * the new content also survives a power loss; without, it survives the process being killed.
 */
public final class AtomicFiles {

    private static final AtomicLong COUNTER = new AtomicLong();

    private AtomicFiles() {
    }

    static void write(Path target, byte[] bytes, boolean fsync) throws IOException {
        // A unique temp name beside the target (same file system, so the rename is atomic), hidden
        // by its leading dot; concurrent writers of the same target never share one.
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid()
                + "-" + COUNTER.incrementAndGet() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(ch, ByteBuffer.wrap(bytes));
                if (fsync) {
                    ch.force(true);
                }
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            if (fsync) {
                forceFolder(target.getParent());
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Makes a rename or a new file in {@code folder} durable (a no-op where the platform cannot). */
    public static void forceFolder(Path folder) {
        try (FileChannel ch = FileChannel.open(folder, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not supported everywhere; the rename itself is still atomic
        }
    }

    /** Temp files of {@link #write} (dot, target name, pid and counter, {@code .tmp}) that a crash left. */
    static boolean isTemp(Path file) {
        String name = file.getFileName().toString();
        return name.startsWith(".") && name.endsWith(".tmp");
    }

    static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            position += ch.write(buf, position);
        }
    }
}
