package io.vkernel.scenario;

import io.vkernel.kernel.nic.WireRecord;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;

import java.util.List;

import static io.vkernel.scenario.Stage.seq;

/** The seed's "RST due to timeout" timeline and its "FD Limit Impact", each with what Linux does instead. */
final class TimeoutAndLimit {

    private TimeoutAndLimit() {
    }

    static void rstOnTimeout(Stage s) {
        int listener = s.listeningServer();
        Client a = s.client("Client", "192.168.1.100:54321");

        s.at("t=0");
        a.connect();
        int fd = (int) s.accept(listener).ret();
        s.step("Client connects: ESTABLISHED, FD " + fd, "The handshake completes (" + s.hashOf(a) + ") and accept() "
                + "returns FD " + fd + ".");

        s.at("t=1", 1);
        a.data("GET /hello");
        s.step("The client sends \"GET /hello\"", "10 bytes are routed by 4-tuple to the connection and wait in its "
                + "receive buffer (Recv-Q 10); the kernel acknowledges them.");

        s.at("t=2", 2);
        s.read(fd);
        s.setsockopt(fd, "SO_RCVTIMEO", 30_000);
        PendingCall read = s.readBlocking(fd);
        s.step("The server reads, sets a 30 s SO_RCVTIMEO and reads again", "read(" + fd + ") returns the 10 bytes. "
                + "setsockopt(SO_RCVTIMEO, 30 s) puts a deadline on this socket's blocking reads, and the next read("
                + fd + ") finds nothing: thread " + read.tid() + " sleeps in " + read.waitChannel() + ", with a 30 s "
                + "timer armed for the call (see the clock's timers).");

        s.at("t=32", 32);
        SyscallResult timedOut = read.result();
        s.step("No activity for 30 s: SO_RCVTIMEO expires and read() returns " + timedOut.errno(), "The timer fires and "
                + "read(" + fd + ") returns -1 with errno " + timedOut.errno() + " (" + timedOut.errno().message() + "). "
                + "The seed says conn.Read() returns ETIMEDOUT; Linux returns EAGAIN, the same errno as a non-blocking read "
                + "with nothing to read (a Go program using read deadlines sees its own 'i/o timeout' instead). ETIMEDOUT comes only from TCP itself "
                + "giving up (retransmissions or keepalive probes unanswered). The timeout is the caller's deadline, not "
                + "the connection's: nothing was sent and the connection is still " + s.state(a) + ".");

        s.close(fd);
        Tcb tcb = s.tcb(a);
        s.step("The server calls close(" + fd + "): FIN, not RST", "The seed has the server send RST here. Linux sends "
                + "RST on close() only when unread data is thrown away (or with SO_LINGER {1, 0}); this receive buffer is "
                + "empty, so close() starts a graceful close: FIN seq " + seq(tcb.sndNxt() - 1) + ". FD " + fd + " is free "
                + "at once, as the seed says, but the connection is not CLOSED: it is an orphan in " + s.state(a)
                + ", still in the hash table (bucket " + s.bucket(a) + ").");

        s.at("t=32.1", 32.1);
        a.ack();
        a.fin();
        s.step("The client acknowledges and closes: TIME_WAIT, not CLOSED", "The seed's t=32.1 shows 'CLOSED, TCB "
                + "deleted'. The client's ACK and FIN take the server's end through FIN_WAIT2 to " + s.state(a) + ": the "
                + "4-tuple stays in bucket " + s.bucket(a) + " for 60 s (" + SeedScenarios.timer(s, a) + "). The buffers "
                + "are released and the FD was freed at t=32.");

        Client b = s.client("Client B", "192.168.1.200:48000");
        s.at("t=40", 40);
        b.connect();
        int fdB = (int) s.accept(listener).ret();
        b.data("GET /report");
        s.step("When Linux does send RST: a second client's request is never read", "Client B connects, gets FD " + fdB
                + " (reused), and sends 11 bytes that the server does not read: they wait in the receive buffer "
                + "(Recv-Q 11).");

        s.close(fdB);
        Segment rst = lastSentTo(s, b);
        s.step("close(" + fdB + ") with unread data: RST", "close(" + fdB + ") discards 11 unread bytes, and a "
                + "connection that loses data must say so: the kernel sends RST ["
                + (rst == null ? "R." : TcpFlags.format(rst.flags())) + "] seq " + (rst == null ? "?" : seq(rst.seq()))
                + " instead of FIN (RFC 2525 §2.17, __tcp_close()). The connection leaves the hash table at once: "
                + s.state(b) + ", no FIN_WAIT, no TIME_WAIT. Client B's next read() or write() fails with ECONNRESET. "
                + "This, and SO_LINGER {1, 0}, are when close() resets; an idle timeout is not.");
    }

    static void fdLimit(Stage s) {
        int listener = s.listeningServer();
        int limit = s.inspect(k -> k.process(s.pid()).fds().limit());
        int room = limit - 4;
        int[] first = {-1};
        int[] last = {-1};
        s.at("t=1", 1);
        s.batch(room + " clients (192.168.1.100:50000 to :" + (50000 + room - 1) + ") connect and are accepted one by one",
                () -> {
                    for (int i = 0; i < room; i++) {
                        s.client("Client " + (i + 1), "192.168.1.100:" + (50000 + i)).connect();
                        int fd = (int) s.accept(listener).ret();
                        if (first[0] < 0) {
                            first[0] = fd;
                        }
                        last[0] = fd;
                    }
                });
        int open = s.inspect(k -> k.process(s.pid()).fds().openCount());
        s.step(room + " connections accepted: FDs " + first[0] + " to " + last[0], room + " clients connect and each is "
                + "accepted as soon as its handshake completes: FDs " + first[0] + ", " + (first[0] + 1) + ", ... "
                + last[0] + ". With 0, 1, 2 for stdio and 3 for the listener the table now holds " + open + " open FDs, "
                + "RLIMIT_NOFILE (" + limit + ", ulimit -n): every number below the limit is taken. This is the seed's "
                + "'3 FDs: stdin, stdout, stderr; 1 FD: listening socket; 1020 FDs: available for connections'.");

        Client c = s.client("Client C", "192.168.1.150:55555");
        s.at("t=2", 2);
        c.connect();
        s.step("Connection #" + (room + 1) + " (Client C) completes its handshake anyway", "Client C's SYN gets a SYN-ACK "
                + "and its ACK completes the handshake: the kernel does this without the application and without an FD. "
                + "The connection (" + s.hashOf(c) + ") is " + s.state(c) + " and waits in the listener's accept queue. "
                + "As far as Client C knows, it is connected.");

        SyscallResult refused = s.accept(listener);
        int queued = s.inspect(k -> k.listeners().all().get(0).acceptQueue().size());
        s.step("accept() fails with " + refused.errno() + "; the connection stays in the accept queue", "accept("
                + listener + ") returns -1 " + refused.errno() + " (" + refused.errno().message() + "): no FD number below "
                + limit + " is free. Linux reserves the FD before it takes a connection off the queue "
                + "(__sys_accept4_file()), so the connection is not lost: it is still " + s.state(c) + " in the accept "
                + "queue (" + queued + " waiting), and the listener stays readable, so an event loop would wake for it again "
                + "and again. The seed says 'Connection #1021: FAILS! New clients rejected'. Nothing is sent to Client C: "
                + "it is not rejected but left waiting; only when the accept queue (backlog+1 = 129) is full does the "
                + "kernel drop new SYNs, and clients see timeouts, not an error.");

        s.at("t=3", 3);
        c.data("GET / HTTP/1.1\r\n\r\n");
        Tcb queuedTcb = s.tcb(c);
        s.step("Client C sends its request; the kernel takes it without an FD", "Client C's 18 bytes are routed by "
                + "4-tuple (" + s.hashOf(c) + ") to its connection, queued (Recv-Q " + queuedTcb.receiveQueued() + ") and "
                + "acknowledged, although no FD refers to it yet: routing needs the 4-tuple, never an FD.");

        s.at("t=4", 4);
        s.close(first[0]);
        SyscallResult accepted = s.accept(listener);
        SyscallResult read = s.read((int) accepted.ret());
        s.step("An FD is freed: accept() succeeds and reads the waiting request", "close(" + first[0] + ") ends the first "
                + "client's connection (a FIN goes out) and frees FD " + first[0] + ". The next accept() takes Client C's "
                + "connection from the queue and returns FD " + accepted.ret() + ", the lowest free number; read("
                + accepted.ret() + ") returns the " + read.ret() + " bytes that arrived while it had no FD. The fix the "
                + "seed gives, raising the limit (ulimit -n 65535), is right; until then connections wait rather than fail.");
    }

    private static Segment lastSentTo(Stage s, Client client) {
        List<WireRecord> wire = s.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE));
        for (int i = wire.size() - 1; i >= 0; i--) {
            if (!wire.get(i).inbound() && wire.get(i).segment().dst().equals(client.endpoint())) {
                return wire.get(i).segment();
            }
        }
        return null;
    }
}
