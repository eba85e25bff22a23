package io.vkernel.kernel.fs;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.SyscallException;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A kernel's few regular files: what the public packetdrill scripts' setup lines make before they open() a file and
 * sendfile() it (google/packetdrill's sendfile-simple.pkt writes five zero bytes to /tmp/testfile with dd). Names
 * live only under /tmp (a user's scratch directory, writable by anyone); every other path does not exist, and
 * creating one there is EACCES, as for an unprivileged user. Files are bounded in number and size so a client
 * cannot fill the service's memory: past the bounds a write answers EFBIG or ENOSPC, as a full quota would.
 */
public final class VirtualFs {

    /** Where names may be created: a single directory, no subdirectories. */
    public static final String DIRECTORY = "/tmp/";
    public static final int MAX_FILES = 64;
    public static final int MAX_FILE_BYTES = 1 << 20;
    public static final long MAX_TOTAL_BYTES = 4L << 20;
    /** A name under /tmp: letters, digits, '.', '_' and '-', not '.' or '..', at most NAME_MAX (255) characters. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,255}");

    private final Map<String, FileNode> names = new TreeMap<>();
    private long nextInode = 1;

    /** The explanation a refusal of {@code path} gives, or null when it is a name vkernel can hold. */
    public static String invalidPath(String path) {
        if (path == null || !path.startsWith(DIRECTORY)) {
            return "files exist only under " + DIRECTORY + " (got '" + path + "')";
        }
        String name = path.substring(DIRECTORY.length());
        if (!NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            return "a file is " + DIRECTORY + "NAME, NAME being 1 to 255 letters, digits, '.', '_' or '-' (no subdirectories; got '"
                    + path + "')";
        }
        return null;
    }

    public FileNode lookup(String path) {
        return names.get(path);
    }

    /**
     * open(path, O_CREAT ...)'s lookup: the existing node, else a new empty one (EACCES outside /tmp, ENOSPC
     * when {@link #MAX_FILES} exist); {@code exclusive} (O_EXCL) makes an existing name EEXIST.
     */
    public FileNode create(String path, boolean exclusive) {
        FileNode node = names.get(path);
        if (node != null) {
            if (exclusive) {
                throw new SyscallException(Errno.EEXIST);
            }
            return node;
        }
        if (invalidPath(path) != null) {
            throw new SyscallException(path.startsWith(DIRECTORY) ? Errno.ENOENT : Errno.EACCES);
        }
        if (names.size() >= MAX_FILES) {
            throw new SyscallException(Errno.ENOSPC);
        }
        node = new FileNode(path, nextInode++);
        names.put(path, node);
        return node;
    }

    /** unlink(path): the name goes; open files keep the node. */
    public void unlink(String path) {
        if (names.remove(path) == null) {
            throw new SyscallException(Errno.ENOENT);
        }
    }

    /** O_TRUNC on a file opened for writing. */
    public void truncate(FileNode node) {
        node.truncate();
    }

    /** write() at {@code position}: EFBIG past {@link #MAX_FILE_BYTES}, ENOSPC past {@link #MAX_TOTAL_BYTES} in all. */
    public void write(FileNode node, long position, byte[] bytes) {
        long end = position + bytes.length;
        if (end > MAX_FILE_BYTES) {
            throw new SyscallException(Errno.EFBIG);
        }
        long growth = Math.max(0, end - node.size());
        if (totalBytes() + growth > MAX_TOTAL_BYTES) {
            throw new SyscallException(Errno.ENOSPC);
        }
        node.write(position, bytes);
    }

    public long totalBytes() {
        long total = 0;
        for (FileNode node : names.values()) {
            total += node.size();
        }
        return total;
    }

    /** The names and their files, in path order (ls -l /tmp). */
    public Map<String, FileNode> files() {
        return Collections.unmodifiableMap(names);
    }
}
