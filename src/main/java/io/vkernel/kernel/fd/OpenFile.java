package io.vkernel.kernel.fd;

import io.vkernel.kernel.socket.Socket;

/**
 * An open file description ({@code struct file}): what an FD points at, shared by dup() with a reference count.
 * Status flags such as O_NONBLOCK live here, so every FD sharing the file sees them.
 */
public final class OpenFile {

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 01;
    public static final int O_RDWR = 02;
    public static final int O_ACCMODE = 03;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;

    private final String path;
    private final Socket socket;
    /** The epoll instance behind an epoll_create() file, else null. */
    private final io.vkernel.kernel.socket.EventPoll epoll;
    /** The regular file behind an open() file, else null; {@link #position} is its file offset (f_pos). */
    private io.vkernel.kernel.fs.FileNode node;
    private long position;
    /** The pipe behind one end of a pipe(), else null; {@link #pipeWriteEnd} tells which end. */
    private io.vkernel.kernel.fs.Pipe pipe;
    private boolean pipeWriteEnd;
    private int flags;
    private int refCount = 1;
    /** Where this file was last installed (a hint: checked against the table before use, see {@link FdTable#soleFd}). */
    private FdTable placedIn;
    private int placedAt = -1;

    private OpenFile(String path, Socket socket, int flags) {
        this(path, socket, null, flags);
    }

    private OpenFile(String path, Socket socket, io.vkernel.kernel.socket.EventPoll epoll, int flags) {
        this.path = path;
        this.socket = socket;
        this.epoll = epoll;
        this.flags = flags;
    }

    /** epoll_create(): an anonymous-inode file, "anon_inode:[eventpoll]" in /proc/PID/fd. */
    public static OpenFile epoll(io.vkernel.kernel.socket.EventPoll epoll) {
        return new OpenFile("anon_inode:[eventpoll]", null, epoll, O_RDWR);
    }

    /** The epoll instance behind this file, or null. */
    public io.vkernel.kernel.socket.EventPoll epoll() {
        return epoll;
    }

    /** open(): a regular file, with the access mode and status flags open() keeps (O_ACCMODE, O_APPEND, O_NONBLOCK). */
    public static OpenFile regular(io.vkernel.kernel.fs.FileNode node, int flags) {
        OpenFile file = new OpenFile(node.path(), null, flags & (O_ACCMODE | O_APPEND | O_NONBLOCK));
        file.node = node;
        return file;
    }

    /** One end of a pipe(): "pipe:[inode]" in /proc/PID/fd, the read end O_RDONLY, the write end O_WRONLY. */
    public static OpenFile pipeEnd(io.vkernel.kernel.fs.Pipe pipe, boolean writeEnd) {
        OpenFile file = new OpenFile("pipe:[" + pipe.inode() + "]", null, writeEnd ? O_WRONLY : O_RDONLY);
        file.pipe = pipe;
        file.pipeWriteEnd = writeEnd;
        return file;
    }

    /** The regular file behind this file, or null. */
    public io.vkernel.kernel.fs.FileNode node() {
        return node;
    }

    public long position() {
        return position;
    }

    public void position(long position) {
        this.position = position;
    }

    /** The pipe behind this end, or null. */
    public io.vkernel.kernel.fs.Pipe pipe() {
        return pipe;
    }

    public boolean pipeWriteEnd() {
        return pipeWriteEnd;
    }

    /** O_RDONLY or O_RDWR. */
    public boolean readable() {
        return (flags & O_ACCMODE) != O_WRONLY;
    }

    /** O_WRONLY or O_RDWR. */
    public boolean writable() {
        return (flags & O_ACCMODE) != O_RDONLY;
    }

    /** What lsof's TYPE column shows: REG, FIFO, sock, a_inode (epoll) or CHR (the terminal). */
    public String type() {
        return node != null ? "REG" : pipe != null ? "FIFO" : socket != null ? "sock" : epoll != null ? "a_inode" : "CHR";
    }

    public static OpenFile terminal(String path) {
        return new OpenFile(path, null, O_RDWR);
    }

    public static OpenFile socket(Socket socket) {
        OpenFile file = new OpenFile("socket:[" + socket.inode() + "]", socket, O_RDWR);
        socket.file(file);
        return file;
    }

    void placed(FdTable table, int fd) {
        placedIn = table;
        placedAt = fd;
    }

    FdTable placedIn() {
        return placedIn;
    }

    int placedAt() {
        return placedAt;
    }

    public String path() {
        return path;
    }

    /** The socket behind this file, or null for a terminal or an epoll file. */
    public Socket socket() {
        return socket;
    }

    public int flags() {
        return flags;
    }

    public void setStatusFlags(int statusFlags) {
        // F_SETFL changes only O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME and O_NONBLOCK; vkernel models O_NONBLOCK.
        flags = (flags & ~O_NONBLOCK) | (statusFlags & O_NONBLOCK);
    }

    public boolean nonBlocking() {
        return (flags & O_NONBLOCK) != 0;
    }

    public int refCount() {
        return refCount;
    }

    public void retain() {
        refCount++;
    }

    /** Drops one reference; true when it was the last and the file must be released. */
    public boolean release() {
        refCount--;
        return refCount == 0;
    }
}
