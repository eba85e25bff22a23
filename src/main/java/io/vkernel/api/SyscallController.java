package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.tcp.TcpEngine;
import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.sandbox.KernelRegistry;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * System calls made by a process. A call the kernel executed answers 200 with its return value even when it
 * failed ({@code ret: -1} and an errno). A blocking call waits, without holding a servlet thread, until it
 * finishes or {@code wait} milliseconds pass; then it answers 202 with a link to the still-pending call.
 */
@RestController
@RequestMapping("/api/v1/kernels/{k}/processes/{pid}")
@Tag(name = "syscalls", description = "System calls: socket, bind, listen, accept, connect, read, recv, write, send, poll, close, "
        + "shutdown, setsockopt, getsockopt, ioctl, fcntl, dup, dup2")
class SyscallController {

    static final List<String> CALLS = List.of("socket", "bind", "listen", "accept", "connect", "read", "recv", "write", "send",
            "poll", "close", "shutdown", "setsockopt", "getsockopt", "ioctl", "fcntl", "dup", "dup2", "open", "lseek", "pipe", "sendfile", "splice");

    record SocketCall(String domain, String type) {
    }

    record BindCall(Integer fd, String addr) {
    }

    record ListenCall(Integer fd, Integer backlog) {
    }

    record FdCall(Integer fd) {
    }

    /** {@code buf} "NULL" passes a NULL buffer pointer (EFAULT where Linux's copy faults). */
    record ReadCall(Integer fd, Integer count, String buf) {
    }

    /** {@code buf} "NULL" with {@code count} writes from a NULL buffer pointer instead of {@code data}. */
    record WriteCall(Integer fd, String data, String buf, Integer count) {
    }

    record RecvCall(Integer fd, Integer count, List<String> flags, String buf) {
    }

    record SendCall(Integer fd, String data, List<String> flags, String addr, String buf, Integer count, List<Integer> iov) {
    }

    record PollFdItem(Integer fd, List<String> events) {
    }

    record PollCall(List<PollFdItem> fds, Integer timeout) {
    }

    record FcntlCall(Integer fd, String cmd, List<String> flags) {
    }

    record SetsockoptCall(Integer fd, String option, Long value, Integer onoff, String name) {
    }

    record IoctlCall(Integer fd, String request) {
    }

    record GetsockoptCall(Integer fd, String option) {
    }

    record ConnectCall(Integer fd, String addr) {
    }

    record ShutdownCall(Integer fd, String how) {
    }

    record Dup2Call(Integer oldfd, Integer newfd) {
    }

    private final Kernels kernels;
    private final KernelRegistry registry;
    /** HTTP requests that may wait for a blocked call at once (each holds its connection's buffers meanwhile). */
    private final java.util.concurrent.Semaphore waiting;

    SyscallController(Kernels kernels, KernelRegistry registry,
                      @org.springframework.beans.factory.annotation.Value("${vkernel.limits.waiting-requests:0}") int waitingRequests) {
        this.kernels = kernels;
        this.registry = registry;
        // 0 sizes it from the heap: a waiting request costs ~120 KB, so a quarter of the heap at most
        this.waiting = new java.util.concurrent.Semaphore(waitingRequests > 0 ? waitingRequests
                : (int) Math.max(64, Runtime.getRuntime().maxMemory() / 4 / (128 * 1024)));
    }

    @PostMapping("/socket")
    @Operation(summary = "socket(AF_INET, SOCK_STREAM, 0)", description = "Returns the new FD: the lowest free number. "
            + "type \"SOCK_STREAM|SOCK_NONBLOCK\" opens it O_NONBLOCK, as fcntl(F_SETFL, O_NONBLOCK) would")
    DeferredResult<ResponseEntity<Views.SyscallView>> socket(@PathVariable String k, @PathVariable int pid,
                                                             @RequestBody(required = false) SocketCall body) {
        if (body != null && body.domain() != null && !body.domain().equals("AF_INET")) {
            throw ApiException.badField("domain", "vkernel emulates AF_INET only, got '" + body.domain() + "'");
        }
        boolean nonBlock = false;
        if (body != null && body.type() != null) {
            String type = body.type().replace(" ", "");
            nonBlock = type.equals("SOCK_STREAM|SOCK_NONBLOCK") || type.equals("SOCK_NONBLOCK|SOCK_STREAM");
            if (!nonBlock && !type.equals("SOCK_STREAM")) {
                throw ApiException.badField("type", "vkernel emulates SOCK_STREAM (TCP) only, optionally with "
                        + "SOCK_NONBLOCK (\"SOCK_STREAM|SOCK_NONBLOCK\"), got '" + body.type() + "'");
            }
        }
        Kernel kernel = kernels.get(k);
        return answer(kernel, nonBlock ? kernel.socketNonBlocking(pid) : kernel.socket(pid), null, 0L);
    }

    @PostMapping("/bind")
    @Operation(summary = "bind(fd, addr)", description = "addr is ip:port; 0.0.0.0 binds every local address")
    DeferredResult<ResponseEntity<Views.SyscallView>> bind(@PathVariable String k, @PathVariable int pid, @RequestBody BindCall body) {
        int fd = fd(body.fd());
        var addr = Inputs.endpoint("addr", Inputs.required("addr", body.addr(), "ip:port to bind, e.g. 0.0.0.0:8080"));
        Kernel kernel = kernels.get(k);
        return answer(kernel, kernel.bind(pid, fd, addr), null, 0L);
    }

    @PostMapping("/listen")
    @Operation(summary = "listen(fd, backlog)", description = "The accept queue holds backlog+1 connections; backlog is capped by net.core.somaxconn")
    DeferredResult<ResponseEntity<Views.SyscallView>> listen(@PathVariable String k, @PathVariable int pid, @RequestBody ListenCall body) {
        int fd = fd(body.fd());
        int backlog = Inputs.required("backlog", body.backlog(), "the accept queue's length, e.g. 128");
        Kernel kernel = kernels.get(k);
        return answer(kernel, kernel.listen(pid, fd, backlog), null, 0L);
    }

    @PostMapping("/accept")
    @Operation(summary = "accept(fd)", description = "Takes the oldest connection from the accept queue and gives it an FD; blocks while the queue is empty")
    DeferredResult<ResponseEntity<Views.SyscallView>> accept(@PathVariable String k, @PathVariable int pid, @RequestBody FdCall body,
                                                             @RequestParam(required = false) Long wait) {
        int fd = fd(body.fd());
        Kernel kernel = kernels.get(k);
        return answer(kernel, kernel.accept(pid, fd), null, wait);
    }

    @PostMapping("/read")
    @Operation(summary = "read(fd, count)", description = "Returns queued bytes; 0 at EOF after the peer's FIN; blocks while nothing is queued. "
            + "buf \"NULL\" reads into a NULL pointer: EFAULT when bytes are queued, which stay queued")
    DeferredResult<ResponseEntity<Views.SyscallView>> read(@PathVariable String k, @PathVariable int pid, @RequestBody ReadCall body,
                                                           @RequestParam(required = false) Long wait) {
        int fd = fd(body.fd());
        int count = Inputs.range("count", body.count(), 4096, 0, 1 << 20);
        Kernel kernel = kernels.get(k);
        if (nullBuffer(body.buf())) {
            return answer(kernel, kernel.nullBuffer(pid, "read", fd, count, 0, null, null), null, wait);
        }
        return answer(kernel, kernel.read(pid, fd, count), null, wait);
    }

    @PostMapping("/write")
    @Operation(summary = "write(fd, data)", description = "Queues data in the send buffer and sends it in segments of the peer's MSS. "
            + "buf \"NULL\" with count (instead of data) writes from a NULL pointer: EFAULT where the copy faults, nothing queued")
    DeferredResult<ResponseEntity<Views.SyscallView>> write(@PathVariable String k, @PathVariable int pid, @RequestBody WriteCall body) {
        int fd = fd(body.fd());
        if (nullBuffer(body.buf())) {
            int count = nullCount(body.data(), body.count());
            Kernel kernel = kernels.get(k);
            PacketReport report = new PacketReport(null);
            return answer(kernel, kernel.nullBuffer(pid, "write", fd, count, 0, null, report), report, 0L);
        }
        byte[] data = Inputs.required("data", body.data(), "the text to send").getBytes(StandardCharsets.UTF_8);
        if (data.length > registry.limits().maxPayloadBytes()) {
            throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "payload-too-large", "Payload too large",
                    "data is " + data.length + " bytes; one write takes at most " + registry.limits().maxPayloadBytes(), "data");
        }
        Kernel kernel = kernels.get(k);
        PacketReport report = new PacketReport(null);
        return answer(kernel, kernel.write(pid, fd, data, report), report, 0L);
    }

    @PostMapping("/recv")
    @Operation(summary = "recv(fd, count, flags)", description = "read() with flags: MSG_PEEK leaves the bytes queued, MSG_DONTWAIT answers EAGAIN instead of sleeping; buf \"NULL\" as for read")
    DeferredResult<ResponseEntity<Views.SyscallView>> recv(@PathVariable String k, @PathVariable int pid, @RequestBody RecvCall body,
                                                           @RequestParam(required = false) Long wait) {
        int fd = fd(body.fd());
        int count = Inputs.range("count", body.count(), 4096, 0, 1 << 20);
        int flags = flags("flags", body.flags(), Syscalls.RECV_FLAGS);
        Kernel kernel = kernels.get(k);
        if (nullBuffer(body.buf())) {
            return answer(kernel, kernel.nullBuffer(pid, "recv", fd, count, flags, null, null), null, wait);
        }
        return answer(kernel, kernel.recv(pid, fd, count, flags), null, wait);
    }

    @PostMapping("/recvmsg")
    @Operation(summary = "recvmsg(fd, {one iovec of count bytes}, flags)", description = "recv() through recvmsg(): with TCP_INQ set on the socket, "
            + "value is the TCP_CM_INQ control message, the bytes still queued after this read (1 at least once the peer's FIN came)")
    DeferredResult<ResponseEntity<Views.SyscallView>> recvmsg(@PathVariable String k, @PathVariable int pid, @RequestBody RecvCall body,
                                                              @RequestParam(required = false) Long wait) {
        int fd = fd(body.fd());
        int count = Inputs.range("count", body.count(), 4096, 0, 1 << 20);
        int flags = flags("flags", body.flags(), Syscalls.RECV_FLAGS);
        if (body.buf() != null) {
            throw ApiException.badField("buf", "recvmsg takes no buf; a NULL buffer is given to read, recv, write and send");
        }
        Kernel kernel = kernels.get(k);
        return answer(kernel, kernel.recvmsg(pid, fd, count, flags), null, wait);
    }

    @PostMapping("/send")
    @Operation(summary = "send(fd, data, flags)", description = "write() with flags: MSG_DONTWAIT queues what fits and never sleeps; MSG_MORE holds a partial segment; "
            + "MSG_EOR ends a record; MSG_NOSIGNAL is accepted (vkernel sends no SIGPIPE). With addr it is sendto(): MSG_FASTOPEN "
            + "connects to addr with the data on the SYN when a TCP Fast Open cookie is cached (RFC 7413), else asks for one. "
            + "buf \"NULL\" with count (instead of data) sends from a NULL pointer, as for write. With iov it is sendmsg(): data cut into "
            + "iovecs of those lengths, which MSG_ZEROCOPY pins as skb frags (at most 17 per skb)")
    DeferredResult<ResponseEntity<Views.SyscallView>> send(@PathVariable String k, @PathVariable int pid, @RequestBody SendCall body) {
        int fd = fd(body.fd());
        if (nullBuffer(body.buf())) {
            int count = nullCount(body.data(), body.count());
            int flags = flags("flags", body.flags(), Syscalls.SEND_FLAGS);
            var to = body.addr() == null ? null : Inputs.endpoint("addr", body.addr());
            Kernel kernel = kernels.get(k);
            PacketReport report = new PacketReport(null);
            return answer(kernel, kernel.nullBuffer(pid, to == null ? "send" : "sendto", fd, count, flags, to, report), report, 0L);
        }
        byte[] data = Inputs.required("data", body.data(), "the text to send").getBytes(StandardCharsets.UTF_8);
        if (data.length > registry.limits().maxPayloadBytes()) {
            throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "payload-too-large", "Payload too large",
                    "data is " + data.length + " bytes; one send takes at most " + registry.limits().maxPayloadBytes(), "data");
        }
        int flags = flags("flags", body.flags(), Syscalls.SEND_FLAGS);
        Kernel kernel = kernels.get(k);
        PacketReport report = new PacketReport(null);
        if (body.iov() != null) {
            if (body.addr() != null) {
                throw ApiException.badField("iov", "iov (sendmsg) takes no addr: the socket is connected");
            }
            return answer(kernel, kernel.sendmsg(pid, fd, data, iovLengths(body.iov(), data.length), flags, report), report, 0L);
        }
        if (body.addr() != null) {
            boolean unspec = body.addr().equals("AF_UNSPEC");
            var to = unspec ? null : Inputs.endpoint("addr", body.addr());
            return answer(kernel, kernel.sendto(pid, fd, data, flags, to, unspec, report), report, 0L);
        }
        return answer(kernel, kernel.send(pid, fd, data, flags, report), report, 0L);
    }

    /** sendmsg()'s iovec lengths: 1 to UIO_MAXIOV (1024) of them, each at least 0, adding up to the data's bytes. */
    private static int[] iovLengths(List<Integer> iov, int bytes) {
        if (iov.isEmpty() || iov.size() > 1024) {
            throw ApiException.badField("iov", "iov lists 1 to 1024 iovec lengths (UIO_MAXIOV), got " + iov.size());
        }
        int[] lengths = new int[iov.size()];
        long total = 0;
        for (int i = 0; i < lengths.length; i++) {
            Integer length = iov.get(i);
            if (length == null || length < 0) {
                throw ApiException.badField("iov", "each iovec length is a whole number of bytes, at least 0; got " + length + " at index " + i);
            }
            lengths[i] = length;
            total += length;
        }
        if (total != bytes) {
            throw ApiException.badField("iov", "the iovec lengths add up to " + total + " bytes, but data has " + bytes + " (UTF-8)");
        }
        return lengths;
    }

    @PostMapping("/poll")
    @Operation(summary = "poll(fds, nfds, timeout)", description = "Each fd's revents as tcp_poll() reports them (POLLERR and POLLHUP always); "
            + "with none ready the thread sleeps until one is or timeout ms pass (then ret 0); timeout 0 never sleeps, -1 has no limit")
    DeferredResult<ResponseEntity<Views.SyscallView>> poll(@PathVariable String k, @PathVariable int pid, @RequestBody PollCall body,
                                                           @RequestParam(required = false) Long wait) {
        List<PollFdItem> items = Inputs.required("fds", body.fds(), "a list of {fd, events}, e.g. [{\"fd\": 4, \"events\": [\"POLLIN\"]}]");
        if (items.isEmpty() || items.size() > 64) {
            throw ApiException.badField("fds", "fds must hold 1 to 64 entries, got " + items.size());
        }
        List<Syscalls.PollFd> fds = new java.util.ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            PollFdItem item = items.get(i);
            if (item == null) {
                throw ApiException.badField("fds[" + i + "]", "each entry is {fd, events}");
            }
            int fd = Inputs.required("fds[" + i + "].fd", item.fd(), "the FD to watch");
            fds.add(new Syscalls.PollFd(fd, flags("fds[" + i + "].events", item.events(), Syscalls.POLL_EVENTS)));
        }
        int timeout = Inputs.range("timeout", body.timeout(), 0, -1, 3_600_000);
        Kernel kernel = kernels.get(k);
        return answer(kernel, kernel.poll(pid, fds, timeout), null, wait);
    }

    /** buf: absent for the call's own buffer, "NULL" for a NULL pointer (the public scripts' syscall_bad_arg tests). */
    private static boolean nullBuffer(String buf) {
        if (buf == null) {
            return false;
        }
        if (!buf.equals("NULL")) {
            throw ApiException.badField("buf", "buf may only be \"NULL\" (a NULL buffer pointer: EFAULT where the kernel's copy faults), "
                    + "or left out to use data; got '" + buf + "'");
        }
        return true;
    }

    /** The byte count of a NULL-buffer write: count, never together with data. */
    private int nullCount(String data, Integer count) {
        if (data != null) {
            throw ApiException.badField("data", "with buf \"NULL\" there is no data: give count, the length passed with the NULL pointer");
        }
        return Inputs.range("count", Inputs.required("count", count, "the length passed with the NULL pointer, e.g. 1000"), 0, 0,
                registry.limits().maxPayloadBytes());
    }

    /** A list of flag names from {@code known}, OR-ed; a clear 400 names the field and what it may hold. */
    private static int flags(String field, List<String> given, java.util.Map<String, Integer> known) {
        int bits = 0;
        for (String flag : given == null ? List.<String>of() : given) {
            Integer bit = flag == null ? null : known.get(flag);
            if (bit == null) {
                throw ApiException.badField(field, field + " may hold " + String.join(", ", new java.util.TreeSet<>(known.keySet()))
                        + "; got '" + flag + "'");
            }
            bits |= bit;
        }
        return bits;
    }

    @PostMapping("/close")
    @Operation(summary = "close(fd)", description = "Frees the FD at once; the connection sends FIN (or RST with unread data) and finishes on its own")
    DeferredResult<ResponseEntity<Views.SyscallView>> close(@PathVariable String k, @PathVariable int pid, @RequestBody FdCall body) {
        int fd = fd(body.fd());
        Kernel kernel = kernels.get(k);
        PacketReport report = new PacketReport(null);
        return answer(kernel, kernel.close(pid, fd, report), report, 0L);
    }

    @PostMapping("/fcntl")
    @Operation(summary = "fcntl(fd, F_GETFL | F_SETFL, flags)", description = "F_SETFL with flags [\"O_NONBLOCK\"] makes reads and accepts answer EAGAIN instead of blocking")
    DeferredResult<ResponseEntity<Views.SyscallView>> fcntl(@PathVariable String k, @PathVariable int pid, @RequestBody FcntlCall body) {
        int fd = fd(body.fd());
        String cmd = Inputs.oneOf("cmd", body.cmd(), List.of("F_GETFL", "F_SETFL"));
        int flags = 0;
        List<String> given = body.flags() == null ? List.of() : body.flags();
        if (given.stream().filter(f -> f != null && f.matches("O_(RDONLY|WRONLY|RDWR)")).count() > 1) {
            throw ApiException.badField("flags", "flags may hold at most one access mode (O_RDONLY, O_WRONLY or O_RDWR), got " + given);
        }
        for (String flag : given) {
            // the access mode is part of the argument strace prints, even though F_SETFL ignores it
            switch (flag == null ? "" : flag) {
                case "O_NONBLOCK" -> flags |= OpenFile.O_NONBLOCK;
                case "O_RDWR" -> flags |= OpenFile.O_RDWR;
                case "O_WRONLY" -> flags |= 01;
                case "O_RDONLY" -> flags |= 0;
                default -> throw ApiException.badField("flags", "flags may hold O_NONBLOCK and one access mode (O_RDONLY, "
                        + "O_WRONLY, O_RDWR, which F_SETFL ignores), got '" + flag + "'");
            }
        }
        Kernel kernel = kernels.get(k);
        return answer(kernel, kernel.fcntl(pid, fd, cmd, flags), null, 0L);
    }

    @PostMapping("/setsockopt")
    @Operation(summary = "setsockopt(fd, SOL_SOCKET, option, value)", description = "SO_RCVTIMEO and SO_SNDTIMEO (value in ms), SO_LINGER (onoff, value = seconds), SO_REUSEADDR, SO_KEEPALIVE, TCP_NODELAY, TCP_CORK (value 0 or 1), "
            + "SO_RCVBUF and SO_SNDBUF (bytes; stored doubled, capped by net.core.rmem_max/wmem_max, as Linux does), "
            + "TCP_MAXSEG (the MSS to offer and use, 88-32767), TCP_NOTSENT_LOWAT (bytes), "
            + "TCP_CONGESTION (name: reno or cubic; another name answers ENOENT), TCP_USER_TIMEOUT (ms unacknowledged before ETIMEDOUT), "
            + "TCP_SYNCNT (SYN retries, 1-127), TCP_KEEPIDLE and TCP_KEEPINTVL (seconds, 1-32767), TCP_KEEPCNT (keepalive probes, 1-127), "
            + "TCP_FASTOPEN (a listener's Fast Open queue length, RFC 7413), TCP_FASTOPEN_NO_COOKIE and TCP_INQ (0 or 1), "
            + "TCP_FASTOPEN_KEY (name: the cookie key as net.ipv4.tcp_fastopen_key writes it, a0bf63f7-ed803d81-cd641d30-cebc4a90), IP_TOS (TOS byte) and IP_MTU_DISCOVER (0-5) at SOL_IP")
    DeferredResult<ResponseEntity<Views.SyscallView>> setsockopt(@PathVariable String k, @PathVariable int pid, @RequestBody SetsockoptCall body) {
        int fd = fd(body.fd());
        String option = Inputs.oneOf("option", body.option(), Syscalls.SOCKET_OPTIONS);
        if (option.equals("TCP_CONGESTION")) {
            String name = Inputs.required("name", body.name(), "the algorithm's name, as Linux takes it: "
                    + String.join(" or ", TcpEngine.CONGESTION_CONTROLS) + " (any other name fails with ENOENT)");
            if (name.length() > 15) {
                throw ApiException.badField("name", "name is at most 15 characters (TCP_CA_NAME_MAX 16 with the NUL), got " + name.length());
            }
            Kernel kernel = kernels.get(k);
            return answer(kernel, kernel.setsockopt(pid, fd, option, name), null, 0L);
        }
        if (option.equals("TCP_FASTOPEN_KEY")) {
            String key = Inputs.required("name", body.name(), "the key as net.ipv4.tcp_fastopen_key writes it: four 32-bit hex "
                    + "words, e.g. a0bf63f7-ed803d81-cd641d30-cebc4a90 (eight for a primary and a backup key)");
            Kernel kernel = kernels.get(k);
            return answer(kernel, kernel.setsockopt(pid, fd, option, fastOpenKey(key)), null, 0L);
        }
        long value = Inputs.required("value", body.value(), "a number: milliseconds for SO_RCVTIMEO, seconds for SO_LINGER, else 0 or 1");
        if (value < 0 || value > 86_400_000L) {
            throw ApiException.badField("value", "value must be between 0 and 86400000, got " + value);
        }
        boolean on = body.onoff() == null || body.onoff() != 0;
        Kernel kernel = kernels.get(k);
        return answer(kernel, kernel.setsockopt(pid, fd, option, value, on), null, 0L);
    }

    /** The sysctl's "%x-%x-%x-%x" (or eight words) as the bytes setsockopt(TCP_FASTOPEN_KEY) takes. */
    private static byte[] fastOpenKey(String text) {
        String[] words = text.strip().split("-", -1);
        if ((words.length != 4 && words.length != 8) || !java.util.Arrays.stream(words).allMatch(w -> w.matches("[0-9a-fA-F]{1,8}"))) {
            throw ApiException.badField("name", "a Fast Open key is four (or eight) 32-bit hex words separated by '-', "
                    + "e.g. a0bf63f7-ed803d81-cd641d30-cebc4a90, got '" + text + "'");
        }
        byte[] bytes = new byte[words.length * 4];
        for (int i = 0; i < words.length; i++) {
            long word = Long.parseLong(words[i], 16);
            for (int b = 0; b < 4; b++) {
                bytes[4 * i + b] = (byte) (word >>> (8 * b)); // proc_tcp_fastopen_key(): cpu_to_le32() of each word
            }
        }
        return bytes;
    }

    @PostMapping("/connect")
    @Operation(summary = "connect(fd, addr)", description = "Sends a SYN from an ephemeral port (32768-60999, even first) unless the socket is bound; "
            + "blocks until the handshake ends. To another process in this kernel, use 127.0.0.1 or the kernel's own address. "
            + "addr \"AF_UNSPEC\" disconnects instead (tcp_disconnect(): RST from an open connection, the socket reusable).")
    DeferredResult<ResponseEntity<Views.SyscallView>> connect(@PathVariable String k, @PathVariable int pid, @RequestBody ConnectCall body,
                                                              @RequestParam(required = false) Long wait) {
        int fd = fd(body.fd());
        String text = Inputs.required("addr", body.addr(), "the server's ip:port, e.g. 10.0.0.50:8080, or AF_UNSPEC to disconnect");
        Kernel kernel = kernels.get(k);
        PacketReport report = new PacketReport(null);
        if (text.equals("AF_UNSPEC")) {
            return answer(kernel, kernel.disconnect(pid, fd, report), report, wait);
        }
        var addr = Inputs.endpoint("addr", text);
        return answer(kernel, kernel.connect(pid, fd, addr, report), report, wait);
    }

    @PostMapping("/shutdown")
    @Operation(summary = "shutdown(fd, how)", description = "how: SHUT_RD, SHUT_WR (sends FIN, the socket stays open) or SHUT_RDWR")
    DeferredResult<ResponseEntity<Views.SyscallView>> shutdown(@PathVariable String k, @PathVariable int pid, @RequestBody ShutdownCall body) {
        int fd = fd(body.fd());
        String how = Inputs.required("how", body.how(), "SHUT_RD, SHUT_WR or SHUT_RDWR");
        int code = switch (how) {
            case "SHUT_RD" -> 0;
            case "SHUT_WR" -> 1;
            case "SHUT_RDWR" -> 2;
            default -> throw ApiException.badField("how", "how must be SHUT_RD, SHUT_WR or SHUT_RDWR, got '" + how + "'");
        };
        Kernel kernel = kernels.get(k);
        PacketReport report = new PacketReport(null);
        return answer(kernel, kernel.shutdown(pid, fd, code, report), report, 0L);
    }

    @PostMapping("/getsockopt")
    @Operation(summary = "getsockopt(fd, SOL_SOCKET, option)", description = "SO_ERROR returns and clears the pending error")
    DeferredResult<ResponseEntity<Views.SyscallView>> getsockopt(@PathVariable String k, @PathVariable int pid, @RequestBody GetsockoptCall body) {
        int fd = fd(body.fd());
        String option = Inputs.oneOf("option", body.option(), Syscalls.READABLE_OPTIONS);
        Kernel kernel = kernels.get(k);
        return answer(kernel, kernel.getsockopt(pid, fd, option), null, 0L);
    }

    @PostMapping("/ioctl")
    @Operation(summary = "ioctl(fd, request, &value)", description = "SIOCINQ (FIONREAD): bytes a read would return; "
            + "SIOCOUTQ: bytes written and not yet acknowledged; SIOCOUTQNSD: bytes not yet sent. EINVAL on a listener.")
    DeferredResult<ResponseEntity<Views.SyscallView>> ioctl(@PathVariable String k, @PathVariable int pid, @RequestBody IoctlCall body) {
        int fd = fd(body.fd());
        String request = Inputs.oneOf("request", body.request(), Syscalls.IOCTLS);
        Kernel kernel = kernels.get(k);
        return answer(kernel, kernel.ioctl(pid, fd, request), null, 0L);
    }

    @PostMapping("/dup")
    @Operation(summary = "dup(fd)", description = "The same open file at the lowest free FD; the socket closes only when its last FD does")
    DeferredResult<ResponseEntity<Views.SyscallView>> dup(@PathVariable String k, @PathVariable int pid, @RequestBody FdCall body) {
        int fd = fd(body.fd());
        Kernel kernel = kernels.get(k);
        return answer(kernel, kernel.dup(pid, fd), null, 0L);
    }

    @PostMapping("/dup2")
    @Operation(summary = "dup2(oldfd, newfd)", description = "Closes newfd if open, then points it at oldfd's open file")
    DeferredResult<ResponseEntity<Views.SyscallView>> dup2(@PathVariable String k, @PathVariable int pid, @RequestBody Dup2Call body) {
        int oldFd = Inputs.required("oldfd", body.oldfd(), "the FD to copy");
        int newFd = Inputs.required("newfd", body.newfd(), "the FD number to point at it");
        Kernel kernel = kernels.get(k);
        PacketReport report = new PacketReport(null);
        return answer(kernel, kernel.dup2(pid, oldFd, newFd, report), report, 0L);
    }

    @PostMapping("/{call}")
    @io.swagger.v3.oas.annotations.Hidden
    @Operation(summary = "Any other system call", description = "Answers 404 naming the calls vkernel implements")
    ResponseEntity<Void> unknownSyscall(@PathVariable String k, @PathVariable int pid, @PathVariable String call) {
        throw ApiException.notFound("syscall", "vkernel does not implement '" + call + "' yet; calls: " + String.join(", ", CALLS));
    }

    @GetMapping("/calls/{id}")
    @Operation(summary = "A blocked call", description = "Waits up to wait ms for it to finish; 200 with the result, or 202 while it still sleeps")
    DeferredResult<ResponseEntity<Views.SyscallView>> pendingCall(@PathVariable String k, @PathVariable int pid, @PathVariable long id,
                                                           @RequestParam(required = false) Long wait) {
        Kernel kernel = kernels.get(k);
        PendingCall call = kernel.inspect(kk -> kk.call(id));
        if (call == null || call.pid() != pid) {
            throw ApiException.notFound("call", "no call " + id + " for pid " + pid + " (finished calls are kept for a while, then forgotten)");
        }
        return answer(kernel, new Syscalls.Pending(call), null, wait);
    }

    DeferredResult<ResponseEntity<Views.SyscallView>> answer(Kernel kernel, Syscalls.Outcome outcome, PacketReport report, Long wait) {
        long waitMs = wait == null ? registry.limits().defaultWaitMs() : wait;
        if (waitMs < 0 || waitMs > registry.limits().maxWaitMs()) {
            throw ApiException.badField("wait", "wait must be between 0 and " + registry.limits().maxWaitMs() + " ms, got " + waitMs);
        }
        List<Views.PacketView> sent = report == null ? null : Views.sent(report);
        if (outcome instanceof Syscalls.Done done) {
            // answered on this thread: no asynchronous dispatch for a call that did not park (see ReadyResults)
            return new ReadyResults.Ready<>(ResponseEntity.ok(Views.result(done.result(), sent)));
        }
        PendingCall call = ((Syscalls.Pending) outcome).call();
        if (waitMs == 0 || !waiting.tryAcquire()) {
            // past the bound on HTTP requests waiting at once, the call stays parked in the kernel (cheap) and the
            // request answers 202 at once, as when its wait ends: a waiting request holds ~100 KB of Tomcat buffers
            return new ReadyResults.Ready<>(accepted(kernel, call));
        }
        DeferredResult<ResponseEntity<Views.SyscallView>> result = new DeferredResult<>(Math.max(1, waitMs), () -> accepted(kernel, call));
        result.onCompletion(waiting::release);
        kernel.inspect(kk -> {
            call.onDone(done -> result.setResult(ResponseEntity.ok(Views.result(done, null))));
            return null;
        });
        return result;
    }

    private static ResponseEntity<Views.SyscallView> accepted(Kernel kernel, PendingCall call) {
        Views.SyscallView view = kernel.inspect(kk -> call.isDone() ? Views.result(call.result(), null) : Views.pending(kk.id(), call));
        if (view.pending() == null) {
            return ResponseEntity.ok(view);
        }
        return ResponseEntity.accepted().location(URI.create(view.pending().href())).body(view);
    }

    private static int fd(Integer fd) {
        return Inputs.required("fd", fd, "the file descriptor number, e.g. 3");
    }
}
