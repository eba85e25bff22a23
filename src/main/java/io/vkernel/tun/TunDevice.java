package io.vkernel.tun;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * A Linux TUN device opened through libc with JNA: {@code open("/dev/net/tun")}, then {@code ioctl(TUNSETIFF)} with
 * {@code IFF_TUN | IFF_NO_PI}, so every read is one bare IPv4 (or IPv6) packet the host routed into the device and
 * every write is one packet the host receives from it (drivers/net/tun.c, Documentation/networking/tuntap.rst).
 * The device lives as long as this file descriptor: closing it removes the interface. Needs CAP_NET_ADMIN.
 */
public final class TunDevice implements PacketDevice {

    /** {@code _IOW('T', 202, int)} from include/uapi/linux/if_tun.h. */
    static final long TUNSETIFF = 0x400454caL;
    static final short IFF_TUN = 0x0001;
    static final short IFF_NO_PI = 0x1000;
    static final int O_RDWR = 0x2;
    static final int O_CLOEXEC = 0x80000;
    static final short POLLIN = 0x1;
    /** sizeof(struct ifreq) on 64-bit Linux: a 16-byte name, then a union whose largest member is 24 bytes. */
    static final int IFREQ_SIZE = 40;
    static final int IFNAMSIZ = 16;
    static final int EINTR = 4;
    /** The largest IPv4 packet; a TUN read never returns more than the device MTU (1500 by default). */
    static final int MAX_PACKET = 65_535;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");

    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int ioctl(int fd, NativeLong request, byte[] ifreq) throws LastErrorException;

        int poll(byte[] fds, NativeLong nfds, int timeoutMs) throws LastErrorException;

        NativeLong read(int fd, Memory buffer, NativeLong count) throws LastErrorException;

        NativeLong write(int fd, byte[] buffer, NativeLong count) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private static volatile LibC libc;

    private final String name;
    private final int fd;
    private final Memory readBuffer = new Memory(MAX_PACKET);
    private volatile boolean closed;
    private boolean reading;
    private boolean released;

    private TunDevice(String name, int fd) {
        this.name = name;
        this.fd = fd;
    }

    /**
     * Creates the TUN device {@code name} (or attaches to an existing persistent one of that name). Throws with the
     * reason the host gave: no /dev/net/tun, not permitted (no CAP_NET_ADMIN), busy, or no libc for JNA.
     */
    public static TunDevice open(String name) throws IOException {
        if (name == null || !NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("a TUN device name is 1-15 characters of letters, digits, '_', '.' and '-', got '"
                    + name + "'");
        }
        LibC c = libc();
        int fd;
        try {
            fd = c.open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("open(/dev/net/tun) failed: " + strerror(e), e);
        }
        byte[] ifreq = new byte[IFREQ_SIZE];
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(nameBytes, 0, ifreq, 0, nameBytes.length);
        ByteBuffer.wrap(ifreq).order(ByteOrder.nativeOrder()).putShort(IFNAMSIZ, (short) (IFF_TUN | IFF_NO_PI));
        try {
            c.ioctl(fd, new NativeLong(TUNSETIFF), ifreq);
        } catch (LastErrorException e) {
            closeQuietly(c, fd);
            throw new IOException("ioctl(TUNSETIFF, " + name + ") failed: " + strerror(e), e);
        }
        int end = 0;
        while (end < IFNAMSIZ && ifreq[end] != 0) {
            end++;
        }
        return new TunDevice(new String(ifreq, 0, end, StandardCharsets.US_ASCII), fd);
    }

    private static LibC libc() throws IOException {
        LibC c = libc;
        if (c == null) {
            try {
                c = Native.load("c", LibC.class);
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                throw new IOException("JNA cannot load libc: " + e.getMessage(), e);
            }
            libc = c;
        }
        return c;
    }

    private static String strerror(LastErrorException e) {
        String text = switch (e.getErrorCode()) {
            case 1 -> "EPERM (needs root or CAP_NET_ADMIN)";
            case 2 -> "ENOENT (no /dev/net/tun: load the tun module, or in a container pass --device /dev/net/tun)";
            case 13 -> "EACCES (cannot open /dev/net/tun)";
            case 16 -> "EBUSY (a device of that name is already in use)";
            case 19 -> "ENODEV (the kernel has no TUN support)";
            default -> "errno " + e.getErrorCode();
        };
        return text;
    }

    private static void closeQuietly(LibC c, int fd) {
        try {
            c.close(fd);
        } catch (LastErrorException ignored) {
            // nothing more can be done with a descriptor that will not close
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int read(byte[] into, int timeoutMs) throws IOException {
        synchronized (this) {
            if (closed) {
                throw new IOException("TUN device " + name + " is closed");
            }
            reading = true;
        }
        try {
            // struct pollfd { int fd; short events; short revents; }: poll first, so a close is noticed within the timeout
            byte[] pollfd = new byte[8];
            ByteBuffer.wrap(pollfd).order(ByteOrder.nativeOrder()).putInt(0, fd).putShort(4, POLLIN);
            if (libc.poll(pollfd, new NativeLong(1), timeoutMs) == 0) {
                return 0;
            }
            int n = (int) libc.read(fd, readBuffer, new NativeLong(Math.min(into.length, MAX_PACKET))).longValue();
            readBuffer.read(0, into, 0, n);
            return n;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == EINTR) {
                return 0;
            }
            throw new IOException("reading TUN device " + name + " failed: errno " + e.getErrorCode(), e);
        } finally {
            synchronized (this) {
                reading = false;
                if (closed) {
                    release();
                }
            }
        }
    }

    @Override
    public void write(byte[] packet) throws IOException {
        if (closed) {
            throw new IOException("TUN device " + name + " is closed");
        }
        try {
            libc.write(fd, packet, new NativeLong(packet.length));
        } catch (LastErrorException e) {
            throw new IOException("writing to TUN device " + name + " failed: errno " + e.getErrorCode(), e);
        }
    }

    /** Removes the device. A read in progress finishes first (the descriptor is closed after it), so no other file can take its number meanwhile. */
    @Override
    public synchronized void close() {
        closed = true;
        if (!reading) {
            release();
        }
    }

    private void release() {
        if (!released) {
            released = true;
            closeQuietly(libc, fd);
        }
    }
}
