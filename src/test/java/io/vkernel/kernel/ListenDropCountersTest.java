package io.vkernel.kernel;

import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.KernelEvent;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Segments a listener drops are counted as Linux counts them: a full accept queue is ListenOverflows and
 * ListenDrops (tcp_conn_request(), tcp_v4_syn_recv_sock()), and every drop the TCP layer reports is counted by
 * reason and logged as a drop event.
 */
class ListenDropCountersTest {

    private final Kernel kernel = new Kernel(KernelConfig.defaults("drops", 42));
    private final int pid = kernel.spawn("server").pid();

    ListenDropCountersTest() {
        int fd = (int) done(kernel.socket(pid)).ret();
        done(kernel.bind(pid, fd, Endpoint.parse("0.0.0.0:8080")));
        done(kernel.listen(pid, fd, 1)); // the accept queue holds backlog + 1 = 2
    }

    private Peer client(int port) {
        return new Peer(kernel, "192.168.1.100:" + port, TcpFixture.SERVER);
    }

    private long counter(SnmpCounter c) {
        return kernel.inspect(k -> k.snmp().get(c));
    }

    private long drops(DropReason reason) {
        return kernel.inspect(k -> k.nic().drops().getOrDefault(reason, 0L));
    }

    private List<KernelEvent> dropEvents() {
        return kernel.inspect(k -> k.events().after(0, 10_000)).stream().filter(e -> e.type() == EventType.PACKET_DROP).toList();
    }

    @Test
    void synFindingTheAcceptQueueFull_countsListenOverflowsAndListenDrops_andLogsADrop() {
        client(40001).connect();
        client(40002).connect();
        Peer third = client(40003);
        third.send(TcpFlags.SYN, "");

        assertThat(third.received()).isEmpty();
        assertThat(counter(SnmpCounter.LISTEN_OVERFLOWS)).isEqualTo(1);
        assertThat(counter(SnmpCounter.LISTEN_DROPS)).isEqualTo(1);
        assertThat(drops(DropReason.ACCEPT_QUEUE_FULL)).isEqualTo(1);
        assertThat(dropEvents()).anySatisfy(e -> {
            assertThat(e.subject()).isEqualTo("ACCEPT_QUEUE_FULL");
            assertThat(e.detail()).contains("SYN is dropped");
        });
    }

    @Test
    void finalAckFindingTheAcceptQueueFull_isCountedToo() {
        client(40001).connect();
        Peer b = client(40002);
        Peer c = client(40003);
        b.send(TcpFlags.SYN, "");
        c.send(TcpFlags.SYN, "");
        b.ack(); // the queue is now full: 2 of 2
        c.ack(); // tcp_v4_syn_recv_sock(): exit_overflow

        assertThat(counter(SnmpCounter.LISTEN_OVERFLOWS)).isEqualTo(1);
        assertThat(counter(SnmpCounter.LISTEN_DROPS)).isEqualTo(1);
        assertThat(drops(DropReason.ACCEPT_QUEUE_FULL)).isEqualTo(1);
        assertThat(kernel.inspect(Kernel::nstat)).containsEntry("TcpExtListenOverflows", 1L)
                .containsEntry("TcpPassiveOpens", 2L).containsEntry("TcpCurrEstab", 2L);
    }

    @Test
    void synQueueFullWithCookiesOff_isAListenDropButNotAnOverflow() {
        kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_SYNCOOKIES, 0);
            return null;
        });
        client(40001).send(TcpFlags.SYN, "");
        client(40002).send(TcpFlags.SYN, "");
        client(40003).send(TcpFlags.SYN, ""); // 2 requests pending > backlog 1

        assertThat(counter(SnmpCounter.LISTEN_DROPS)).isEqualTo(1);
        assertThat(counter(SnmpCounter.LISTEN_OVERFLOWS)).isZero();
        assertThat(counter(SnmpCounter.TCP_REQ_Q_FULL_DROP)).isEqualTo(1);
        assertThat(drops(DropReason.SYN_QUEUE_FULL)).isEqualTo(1);
    }

    @Test
    void otherTcpDrops_areCountedByReason_outOfWindowAndNoAckFlag() {
        // before: the report said OUT_OF_WINDOW / NO_ACK_FLAG but vkernel.packets.dropped stayed 0
        Peer a = client(40001).connect();
        a.sendAt(TcpFlags.ACK, a.sndNxt() + 1_000_000, a.rcvNxt(), "x"); // far outside the window
        a.sendAt(TcpFlags.PSH, a.sndNxt(), 0, "y"); // no ACK flag

        assertThat(drops(DropReason.OUT_OF_WINDOW)).isEqualTo(1);
        assertThat(drops(DropReason.NO_ACK_FLAG)).isEqualTo(1);
        assertThat(dropEvents()).extracting(KernelEvent::subject).contains("OUT_OF_WINDOW", "NO_ACK_FLAG");
    }

    @Test
    void segmentForNoSocket_isCountedOnceAsNoSocket_evenWhenItIsARst() {
        Peer stray = new Peer(kernel, "192.168.1.100:40009", "10.0.0.50:9999");
        stray.sendAt(TcpFlags.RST, 1, 0, "");
        stray.send(TcpFlags.SYN, "");
        assertThat(drops(DropReason.NO_SOCKET)).isEqualTo(2);
        assertThat(drops(DropReason.RST_NO_SOCKET)).isZero();
        assertThat(counter(SnmpCounter.TCP_OUT_RSTS)).isEqualTo(1);
    }
}
