package io.vkernel.kernel;

import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What a connection costs as it moves through its life: the seed's 131 KB against Linux's slab and truesize charges. */
class MemoryAccountTest {

    private static final String SERVER = "10.0.0.50:8080";
    private static final int FULL_SOCKET = MemoryAccount.TCP_SOCK + MemoryAccount.SOCKET_INODE + MemoryAccount.FILE + MemoryAccount.DENTRY;

    private Kernel kernel;
    private int pid;

    @BeforeEach
    void serverListening() {
        kernel = new Kernel(KernelConfig.defaults("mem", 42));
        pid = kernel.spawn("server").pid();
        assertThat(kernel.socket(pid)).isInstanceOf(Syscalls.Done.class);
        kernel.bind(pid, 3, Endpoint.parse("0.0.0.0:8080"));
        kernel.listen(pid, 3, 128);
    }

    @Test
    void synRecv_isA320ByteRequest_whileTheSeedCounts131KB() {
        new Peer(kernel, "192.168.1.100:54321", SERVER).send(TcpFlags.SYN, "");
        MemoryAccount.Connection c = only();
        assertThat(c.state()).isEqualTo("SYN_RECV");
        assertThat(c.linux().kind()).isEqualTo(MemoryAccount.Kind.REQUEST);
        assertThat(c.linux().bytes()).isEqualTo(320);
        assertThat(c.seedBytes()).isEqualTo(134_144);
    }

    @Test
    void acceptQueue_isABareTcpSock_andAcceptAddsSocketInodeFileAndDentry() {
        new Peer(kernel, "192.168.1.100:54321", SERVER).connect();
        assertThat(only().linux().kind()).isEqualTo(MemoryAccount.Kind.FULL_NO_FILE);
        assertThat(only().linux().bytes()).isEqualTo(2368);
        kernel.accept(pid, 3);
        assertThat(only().linux().kind()).isEqualTo(MemoryAccount.Kind.FULL_WITH_FILE);
        assertThat(only().linux().bytes()).isEqualTo(FULL_SOCKET).isEqualTo(3584);
        assertThat(only().linux().tcpMemPages()).as("an idle socket charges nothing to tcp_mem").isZero();
        assertThat(only().linux().rcvbufLimit()).as("tcp_rmem[1] is a limit").isEqualTo(131_072);
    }

    @Test
    void unreadBytes_areChargedByTruesize_andVkernelHoldsOnlyWhatIsQueued() {
        Peer client = new Peer(kernel, "192.168.1.100:54321", SERVER).connect();
        kernel.accept(pid, 3);
        client.data("x".repeat(1000));
        MemoryAccount.Connection c = only();
        assertThat(c.linux().receiveQueued()).isEqualTo(1000);
        assertThat(c.linux().receiveCharged()).as("1000 bytes in one skb: truesize 1832").isEqualTo(1832);
        assertThat(c.linux().bytes()).isEqualTo(FULL_SOCKET + 1832);
        assertThat(c.linux().tcpMemPages()).isEqualTo(1);
        assertThat(c.vkernelBytes()).isBetween(1000L, 2048L);

        kernel.read(pid, 4, 4096);
        assertThat(only().linux().bytes()).isEqualTo(FULL_SOCKET);
        assertThat(only().vkernelBytes()).isZero();
    }

    @Test
    void timeWait_costs256Bytes_theSeedNothing_andTheConnectionIsFreeOnceItExpires() {
        Peer client = new Peer(kernel, "192.168.1.100:54321", SERVER).connect();
        kernel.accept(pid, 3);
        kernel.close(pid, 4, new PacketReport(null));
        client.consumeSent();
        client.ack();
        client.fin();
        MemoryAccount.Connection c = only();
        assertThat(c.state()).isEqualTo("TIME_WAIT");
        assertThat(c.linux().bytes()).isEqualTo(256);
        assertThat(c.seedBytes()).as("the seed frees everything at close()").isZero();

        kernel.advance(60_000);
        MemoryAccount.Report gone = kernel.inspect(k -> MemoryAccount.of(k, 100));
        assertThat(gone.connections()).isEmpty();
        assertThat(gone.totals().connections()).isZero();
        assertThat(gone.totals().linuxBytes()).as("only the listener is left").isEqualTo(FULL_SOCKET);
        assertThat(gone.totals().vkernelBytes()).isZero();
    }

    @Test
    void totals_addListenerAndConnections_andCountTheHashTableApart() {
        new Peer(kernel, "192.168.1.100:54321", SERVER).connect();
        new Peer(kernel, "192.168.1.101:54321", SERVER).connect();
        MemoryAccount.Report report = kernel.inspect(k -> MemoryAccount.of(k, 1));
        assertThat(report.connections()).as("listing bounded by the limit").hasSize(1);
        assertThat(report.totals().connections()).isEqualTo(2);
        assertThat(report.totals().listeners()).isEqualTo(1);
        assertThat(report.totals().seedBytes()).isEqualTo(2 * 134_144 + 1024);
        assertThat(report.totals().linuxBytes()).isEqualTo(2 * 2368 + FULL_SOCKET);
        assertThat(report.totals().hashTableBytes()).isEqualTo(65_536L * 8);
    }

    private MemoryAccount.Connection only() {
        MemoryAccount.Report report = kernel.inspect(k -> MemoryAccount.of(k, 100));
        assertThat(report.connections()).hasSize(1);
        return report.connections().get(0);
    }
}
