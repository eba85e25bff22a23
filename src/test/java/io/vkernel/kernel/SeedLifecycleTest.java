package io.vkernel.kernel;

import io.vkernel.kernel.proc.Task;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The seed's walk-throughs, played at the kernel level: FD timeline, Scenario 1, Scenario 3, the FD limit, wake-ups. */
class SeedLifecycleTest {

    private static final String SERVER = "10.0.0.50:8080";

    private Kernel kernel;
    private int pid;
    private int listenFd;

    @BeforeEach
    void serverListening() {
        kernel = new Kernel(KernelConfig.defaults("test", 42));
        pid = kernel.spawn("server").pid();
        listenFd = (int) done(kernel.socket(pid)).ret();
        done(kernel.bind(pid, listenFd, Endpoint.parse("0.0.0.0:8080")));
        done(kernel.listen(pid, listenFd, 128));
    }

    @Test
    void fdTimeline_listenerIs3_acceptHandsOutLowestFree_closedNumberIsReused() {
        assertThat(listenFd).isEqualTo(3);
        Peer clientA = new Peer(kernel, "192.168.1.100:54321", SERVER).connect();
        assertThat(accept().ret()).isEqualTo(4);
        Peer clientB = new Peer(kernel, "192.168.1.200:48000", SERVER).connect();
        assertThat(accept().ret()).isEqualTo(5);

        clientA.data("GET /a");
        clientB.data("GET /b");
        assertThat(text(done(kernel.read(pid, 4, 4096)))).isEqualTo("GET /a");
        assertThat(text(done(kernel.read(pid, 5, 4096)))).isEqualTo("GET /b");

        assertThat(done(kernel.close(pid, 4, new PacketReport(null))).ret()).isZero();
        new Peer(kernel, "192.168.1.150:55555", SERVER).connect();
        SyscallResult reused = accept();
        assertThat(reused.ret()).as("FD 4 is the lowest free number again").isEqualTo(4);
        assertThat(reused.peer()).isEqualTo("192.168.1.150:55555");
    }

    @Test
    void handshake_synGetsSynAck_ackQueuesConnectionWithoutFd() {
        Peer client = new Peer(kernel, "192.168.1.100:54321", SERVER);
        PacketReport synReport = client.send(TcpFlags.SYN, "");
        Segment synAck = synReport.sentSegments().get(0);
        assertThat(TcpFlags.format(synAck.flags())).isEqualTo("S.");
        assertThat(synAck.ack()).isEqualTo(Peer.ISN + 1);
        assertThat(synAck.mss()).isEqualTo(1460);
        assertThat(synAck.window()).isEqualTo(64240);

        client.ack();
        Tcb tcb = tcb("192.168.1.100:54321");
        assertThat(tcb.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(tcb.socket()).as("no FD until accept()").isNull();
        assertThat(kernel.inspect(k -> k.process(pid).fds().openCount()).intValue()).isEqualTo(4);
    }

    @Test
    void scenario1_threeConnectionsFromOneClient_threeFdsThreeEntries_packetReachesItsOwnConnection() {
        Peer[] conns = new Peer[3];
        for (int i = 0; i < 3; i++) {
            conns[i] = new Peer(kernel, "192.168.1.100:" + (54321 + i), SERVER).connect();
            assertThat(accept().ret()).isEqualTo(4 + i);
        }
        assertThat(kernel.inspect(k -> k.established().size()).intValue()).isEqualTo(3);

        PacketReport report = conns[1].data("for 54322");
        assertThat(report.connection()).isEqualTo("192.168.1.100:54322-" + SERVER);
        assertThat(report.steps()).anySatisfy(step -> assertThat(step.detail()).contains("pid " + pid + " (server) fd 5"));
        assertThat(text(done(kernel.read(pid, 5, 100)))).isEqualTo("for 54322");
        assertThat(done(kernel.fcntl(pid, 4, "F_SETFL", 04000)).ret()).isZero();
        assertThat(done(kernel.read(pid, 4, 100)).errno()).as("nothing arrived on 54321").isEqualTo(Errno.EAGAIN);
    }

    @Test
    void scenario3_segmentForClosedConnection_getsRst() {
        Peer client = new Peer(kernel, "192.168.1.100:54321", SERVER).connect();
        int fd = (int) accept().ret();
        client.fin();
        assertThat(done(kernel.read(pid, fd, 100)).ret()).as("EOF after the peer's FIN").isZero();
        assertThat(tcb("192.168.1.100:54321").state()).isEqualTo(TcpState.CLOSE_WAIT);

        PacketReport closeReport = new PacketReport(null);
        done(kernel.close(pid, fd, closeReport));
        assertThat(closeReport.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("F.");
        assertThat(tcb("192.168.1.100:54321").state()).isEqualTo(TcpState.LAST_ACK);
        client.consumeSent();
        client.ack();
        assertThat(kernel.inspect(k -> k.established().size()).intValue()).as("removed from the hash table").isZero();

        PacketReport late = client.data("more data");
        assertThat(late.verdict()).isEqualTo("reset");
        Segment rst = late.sentSegments().get(0);
        assertThat(TcpFlags.format(rst.flags())).isEqualTo("R");
        assertThat(rst.seq()).as("<SEQ=SEG.ACK>").isEqualTo(late.segment().ack());
    }

    @Test
    void closeWithUnreadData_sendsRstNotFin() {
        Peer client = new Peer(kernel, "192.168.1.100:54321", SERVER).connect();
        int fd = (int) accept().ret();
        client.data("never read");
        PacketReport closeReport = new PacketReport(null);
        done(kernel.close(pid, fd, closeReport));
        assertThat(closeReport.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R.");
        assertThat(kernel.inspect(k -> k.established().size()).intValue()).isZero();
    }

    @Test
    void fdLimit_connection1021_getsEmfile_andStaysQueued() {
        done(kernel.listen(pid, listenFd, 2048)); // listen() again only changes the backlog: room for all 1021
        for (int i = 0; i < 1021; i++) {
            new Peer(kernel, "192.168.1.100:" + (20000 + i), SERVER).connect();
        }
        for (int i = 0; i < 1020; i++) {
            assertThat(accept().ret()).isEqualTo(4 + i);
        }
        SyscallResult refused = done(kernel.accept(pid, listenFd));
        assertThat(refused.errno()).isEqualTo(Errno.EMFILE);
        assertThat(refused.strace()).endsWith("= -1 EMFILE (Too many open files)");
        assertThat(kernel.inspect(k -> k.listeners().all().get(0).acceptQueue().size()).intValue())
                .as("the 1021st connection waits in the accept queue").isEqualTo(1);

        done(kernel.close(pid, 500, new PacketReport(null)));
        SyscallResult later = accept();
        assertThat(later.ret()).isEqualTo(500);
        assertThat(later.peer()).isEqualTo("192.168.1.100:21020");
    }

    @Test
    void blockedRead_sleepsOnWaitQueue_andInjectedSegmentWakesIt() {
        Peer client = new Peer(kernel, "192.168.1.100:54321", SERVER).connect();
        int fd = (int) accept().ret();
        Syscalls.Outcome outcome = kernel.read(pid, fd, 4096);
        assertThat(outcome).isInstanceOf(Syscalls.Pending.class);
        PendingCall call = ((Syscalls.Pending) outcome).call();
        Task main = kernel.inspect(k -> k.process(pid).threads().get(0));
        assertThat(main.state()).isEqualTo(Task.State.SLEEPING);
        assertThat(main.waitChannel()).isEqualTo("sk_wait_data");

        AtomicReference<SyscallResult> heard = new AtomicReference<>();
        call.onDone(heard::set);
        PacketReport report = client.data("GET /hello HTTP/1.1\r\n");

        assertThat(report.woken()).containsExactly("pid " + pid + " tid " + pid + " read(" + fd + ", ..., 4096)");
        assertThat(text(heard.get())).isEqualTo("GET /hello HTTP/1.1\r\n");
        assertThat(heard.get().strace()).isEqualTo("read(" + fd + ", \"GET /hello HTTP/1.1\\r\\n\", 4096) = 21");
        assertThat(main.state()).isEqualTo(Task.State.RUNNING);
    }

    @Test
    void receiveTimeout_endsBlockedReadWithEagain_notEtimedout() {
        new Peer(kernel, "192.168.1.100:54321", SERVER).connect();
        int fd = (int) accept().ret();
        done(kernel.setsockopt(pid, fd, "SO_RCVTIMEO", 30_000, true));
        PendingCall call = ((Syscalls.Pending) kernel.read(pid, fd, 4096)).call();
        kernel.advance(29_999);
        assertThat(call.isDone()).isFalse();
        kernel.advance(1);
        assertThat(call.result().errno()).isEqualTo(Errno.EAGAIN);
    }

    private SyscallResult accept() {
        return done(kernel.accept(pid, listenFd));
    }

    private Tcb tcb(String remote) {
        return kernel.inspect(k -> k.established().find(new FourTuple(Endpoint.parse(remote), Endpoint.parse(SERVER))));
    }

    private static SyscallResult done(Syscalls.Outcome outcome) {
        assertThat(outcome).isInstanceOf(Syscalls.Done.class);
        return ((Syscalls.Done) outcome).result();
    }

    private static String text(SyscallResult result) {
        return new String(result.data(), StandardCharsets.UTF_8);
    }
}
