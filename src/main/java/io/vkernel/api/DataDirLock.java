package io.vkernel.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One service per data directory. SQLite lets a second process open the same database and write to it, so two
 * services started on one {@code vkernel.data-dir} would each restore every kernel and then journal into the same
 * rows. The first service holds an operating-system lock on {@code vkernel.lock} for as long as it runs (released on
 * close, or by the operating system when the process dies, {@code kill -9} included); a second one fails to start,
 * saying which directory and what to do. H2, the embedded database before SQLite, refused a second process the same way.
 */
final class DataDirLock implements AutoCloseable {

    private final FileLock lock;

    private DataDirLock(FileLock lock) {
        this.lock = lock;
    }

    static DataDirLock take(Path dir) {
        Path file = dir.resolve("vkernel.lock");
        FileChannel channel;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("vkernel.data-dir " + dir + ": " + file.getFileName() + " cannot be opened", e);
        }
        FileLock lock = null;
        try {
            lock = channel.tryLock(); // null: another process holds it
        } catch (OverlappingFileLockException sameProcess) {
            // another service in this JVM holds it
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("vkernel.data-dir " + dir + ": " + file.getFileName() + " cannot be locked", e);
        }
        if (lock == null) {
            closeQuietly(channel);
            throw new IllegalStateException("vkernel.data-dir " + dir + " is in use by another vkernel service (it holds "
                    + file + "): stop that one, or start this one with its own --vkernel.data-dir");
        }
        return new DataDirLock(lock);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing after a failure: the failure is what is reported
        }
    }

    /** Closing the channel releases the lock. */
    @Override
    public void close() throws IOException {
        lock.channel().close();
    }
}
