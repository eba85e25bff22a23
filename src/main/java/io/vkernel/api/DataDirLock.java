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

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DataDirLock take(Path dir) {
        Path file = dir.resolve("vkernel.lock");
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw held(dir);
            }
            return new DataDirLock(channel, lock);
        } catch (OverlappingFileLockException sameProcess) {
            close(channel);
            throw held(dir);
        } catch (IllegalStateException e) {
            close(channel);
            throw e;
        } catch (IOException e) {
            close(channel);
            throw new UncheckedIOException("vkernel.data-dir " + dir + ": " + file.getFileName() + " cannot be opened", e);
        }
    }

    private static IllegalStateException held(Path dir) {
        return new IllegalStateException("vkernel.data-dir " + dir + " is in use by another vkernel service (it holds "
                + dir.resolve("vkernel.lock") + "): stop that one, or start this one with its own --vkernel.data-dir");
    }

    private static void close(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing after a failure: the failure is what is reported
            }
        }
    }

    @Override
    public void close() throws IOException {
        lock.release();
        channel.close();
    }
}
