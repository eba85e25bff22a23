package io.vkernel.kernel;

import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;

/**
 * One input a kernel was given: a packet, a system call, a process starting or exiting, time passing, a tunable
 * changed, the clock switched. A kernel is its {@link KernelConfig} plus the ordered list of these (everything else in
 * it is derived: ISNs and hash keys come from the seed, time from the virtual clock), so {@link #applyTo} on a fresh
 * kernel replays a history exactly. {@link Kernel} hands each input it executed to its {@link Recorder}, under its
 * lock and after the input took effect; an input refused before it changed anything (an unknown pid, a budget or
 * limit reached) is not recorded.
 *
 * <p>Blocked calls need no input of their own: a parked {@code accept()} or {@code read()} finishes when a later
 * packet, clock advance or close wakes it, and the same inputs wake it at the same point of a replay. How long an HTTP
 * client waited ({@code ?wait=}) changes nothing in the kernel.
 */
public sealed interface KernelInput {

    /** Receives each input the kernel executed, in order, while the kernel lock is held. */
    @FunctionalInterface
    interface Recorder {
        void record(Kernel kernel, KernelInput input);
    }

    /** Executes this input on {@code kernel}, as the original call did. */
    void applyTo(Kernel kernel);

    /** A short name, as the journal writes it ({@code "packet"}, {@code "read"}, ...). */
    String op();

    record Packet(Segment segment) implements KernelInput {
        public void applyTo(Kernel kernel) {
            kernel.receive(segment);
        }

        public String op() {
            return "packet";
        }
    }

    record RawPacket(byte[] bytes) implements KernelInput {
        public void applyTo(Kernel kernel) {
            kernel.receiveRaw(bytes);
        }

        public String op() {
            return "raw";
        }
    }

    record Spawn(String name) implements KernelInput {
        public void applyTo(Kernel kernel) {
            kernel.spawn(name);
        }

        public String op() {
            return "spawn";
        }
    }

    record Exit(int pid) implements KernelInput {
        public void applyTo(Kernel kernel) {
            kernel.exit(pid);
        }

        public String op() {
            return "exit";
        }
    }

    record Advance(long ms) implements KernelInput {
        public void applyTo(Kernel kernel) {
            kernel.advance(ms);
        }

        public String op() {
            return "advance";
        }
    }

    record Sysctl(String name, long value) implements KernelInput {
        public void applyTo(Kernel kernel) {
            kernel.sysctl(name, value);
        }

        public String op() {
            return "sysctl";
        }
    }

    /** The clock switched between manual and realtime; a realtime kernel's advances are inputs of their own. */
    record ClockMode(boolean realtime) implements KernelInput {
        public void applyTo(Kernel kernel) {
            kernel.clockMode(realtime);
        }

        public String op() {
            return "clock";
        }
    }

    /** A system call by {@code pid}; which arguments matter depends on the call. */
    record Syscall(String call, int pid, int fd, int arg, long value, Endpoint address, byte[] data, String name)
            implements KernelInput {

        public static Syscall of(String call, int pid, int fd) {
            return new Syscall(call, pid, fd, 0, 0, null, null, null);
        }

        /** sendmsg()'s iovec lengths as the journal keeps them: {@code "1,1,100"}. */
        public static String iovLengths(int[] iov) {
            StringBuilder s = new StringBuilder();
            for (int length : iov) {
                s.append(s.isEmpty() ? "" : ",").append(length);
            }
            return s.toString();
        }

        /** The lengths {@link #iovLengths} wrote. */
        public static int[] parseIovLengths(String text) {
            return text.isEmpty() ? new int[0] : java.util.Arrays.stream(text.split(",")).mapToInt(Integer::parseInt).toArray();
        }

        /** poll()'s fd list as the journal keeps it: {@code "3:1,4:4"} (fd:events). */
        public static String pollFds(java.util.List<io.vkernel.kernel.syscall.Syscalls.PollFd> fds) {
            StringBuilder s = new StringBuilder();
            for (var p : fds) {
                s.append(s.isEmpty() ? "" : ",").append(p.fd()).append(':').append(p.events());
            }
            return s.toString();
        }

        static java.util.List<io.vkernel.kernel.syscall.Syscalls.PollFd> parsePollFds(String text) {
            java.util.List<io.vkernel.kernel.syscall.Syscalls.PollFd> fds = new java.util.ArrayList<>();
            for (String part : text.isEmpty() ? new String[0] : text.split(",")) {
                String[] fe = part.split(":");
                fds.add(new io.vkernel.kernel.syscall.Syscalls.PollFd(Integer.parseInt(fe[0]), Integer.parseInt(fe[1])));
            }
            return fds;
        }

        /** epoll_ctl()'s target fd and events in one value: fd in the high 32 bits, the event mask in the low. */
        public static long epollTarget(int fd, int events) {
            return ((long) fd << 32) | (events & 0xffffffffL);
        }

        public String op() {
            return call;
        }

        public void applyTo(Kernel kernel) {
            PacketReport report = new PacketReport(null);
            switch (call) {
                case "socket" -> {
                    if (arg != 0) {
                        kernel.socketNonBlocking(pid);
                    } else {
                        kernel.socket(pid);
                    }
                }
                case "bind" -> kernel.bind(pid, fd, address);
                case "listen" -> kernel.listen(pid, fd, arg);
                case "accept" -> kernel.accept(pid, fd);
                case "read" -> kernel.read(pid, fd, arg);
                case "write" -> kernel.write(pid, fd, data, report);
                case "close" -> kernel.close(pid, fd, report);
                case "fcntl" -> kernel.fcntl(pid, fd, name, arg);
                case "connect" -> kernel.connect(pid, fd, address, report);
                case "disconnect" -> kernel.disconnect(pid, fd, report);
                case "shutdown" -> kernel.shutdown(pid, fd, arg, report);
                case "dup" -> kernel.dup(pid, fd);
                case "dup2" -> kernel.dup2(pid, fd, arg, report);
                case "ioctl" -> kernel.ioctl(pid, fd, name);
                case "getsockopt" -> kernel.getsockopt(pid, fd, name);
                case "setsockopt" -> kernel.setsockopt(pid, fd, name, value, arg != 0);
                case "setsockoptname" -> kernel.setsockopt(pid, fd, name, new String(data, java.nio.charset.StandardCharsets.UTF_8));
                case "setsockoptbytes" -> kernel.setsockopt(pid, fd, name, data);
                case "recv" -> kernel.recv(pid, fd, arg, (int) value);
                case "recvmsg" -> kernel.recvmsg(pid, fd, arg, (int) value);
                case "send" -> kernel.send(pid, fd, data, (int) value, report);
                case "sendmsg" -> kernel.sendmsg(pid, fd, data, parseIovLengths(name), (int) value, report);
                case "sendto" -> kernel.sendto(pid, fd, data, (int) value, address, arg != 0, report);
                case "nullbuf" -> kernel.nullBuffer(pid, name, fd, arg, (int) value, address, report);
                case "tcp_metrics_flush" -> kernel.flushTcpMetrics();
                case "poll" -> kernel.poll(pid, parsePollFds(name), arg);
                case "epoll_create" -> kernel.epollCreate(pid, arg);
                case "epoll_ctl" -> kernel.epollCtl(pid, fd, arg, (int) (value >> 32), (int) value, Long.parseLong(name));
                case "epoll_wait" -> kernel.epollWait(pid, fd, arg, (int) value);
                case "open" -> kernel.open(pid, name, arg);
                case "lseek" -> kernel.lseek(pid, fd, value, arg);
                case "pipe" -> kernel.pipe(pid, arg);
                case "sendfile" -> kernel.sendfile(pid, fd, arg, name.equals("NULL") ? null : Long.parseLong(name), value, report);
                case "splice" -> kernel.splice(pid, fd, Integer.parseInt(name), value, arg, report);
                case "mkfile" -> kernel.makeFile(name, (int) value);
                case "unlink" -> kernel.removeFile(name);
                default -> throw new IllegalArgumentException("unknown system call '" + call + "'");
            }
        }
    }
}
