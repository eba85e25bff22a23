package io.vkernel.kernel;

import io.vkernel.kernel.proc.ProcNetTcp;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What ss, /proc/net/tcp and recv() read from a connection's control block (PIT survivors and uncovered mutants in
 * Tcb's accessors): the options both SYNs agreed on, ECN, the peer's ISN and our MSS, a reset, an unread FIN, the
 * out-of-order bytes, the TIME_WAIT timer and the SYN-ACK retransmissions a request shows.
 */
class TcbViewMutantsTest {

    private final TcpFixture t = new TcpFixture();

    private static final Endpoint CLIENT = Endpoint.parse(TcpFixture.CLIENT);
    private static final Endpoint SERVER = Endpoint.parse(TcpFixture.SERVER);

    /** /proc/net/tcp's row of the connection (the listener is row 0). */
    private String procRow() {
        List<String> rows = t.kernel.inspect(ProcNetTcp::rows);
        assertThat(rows).hasSize(2);
        return rows.get(1).strip();
    }

    /** The SACK options (kind 5) a segment carries. */
    private static long sackBlocks(Segment segment) {
        return segment.options() == null ? 0 : segment.options().list().stream().filter(o -> o.kind() == 5).count();
    }

    @Test
    void aPlainHandshake_agreesOnNoOption_andTheViewsSaySo() {
        t.established();
        Tcb tcb = t.tcb();
        assertThat(tcb.timestampsOk()).isFalse();
        assertThat(tcb.sackOk()).isFalse();
        assertThat(tcb.sndWscale()).as("no wscale: ss prints none").isEqualTo(-1);
        assertThat(tcb.rcvWscale()).isEqualTo(-1);
        assertThat(tcb.ecnOk()).isFalse();
        assertThat(tcb.ecnSeen()).isFalse();
        assertThat(tcb.irs()).as("the peer's ISN").isEqualTo(Peer.ISN);
        assertThat(tcb.advMss()).isEqualTo(1460);
        assertThat(tcb.wasReset()).isFalse();
        assertThat(tcb.finUnread()).isFalse();
    }

    @Test
    void aSynWithEveryOption_agreesOnTimestampsSackAndBothWindowScales() {
        done(t.kernel.setsockopt(t.pid, t.listenFd, "TCP_MAXSEG", 1200, true));
        int isn = 777_000;
        TcpOptions options = TcpOptions.of(new TcpOption.Mss(1460), new TcpOption.SackPermitted(),
                new TcpOption.Timestamps(5000, 0), new TcpOption.Nop(), new TcpOption.WindowScale(9));
        PacketReport synAck = t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.SYN, isn, 0, 65535, 0, new byte[0], options));
        Segment reply = synAck.sentSegments().get(0);
        TcpOptions ackOptions = TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(),
                new TcpOption.Timestamps(5001, reply.timestamps().value()));
        t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.ACK, isn + 1, reply.seq() + 1, 1000, 0, new byte[0], ackOptions));
        Tcb tcb = t.tcb();
        assertThat(tcb.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(tcb.timestampsOk()).isTrue();
        assertThat(tcb.sackOk()).isTrue();
        assertThat(tcb.sndWscale()).as("the peer's shift").isEqualTo(9);
        assertThat(tcb.rcvWscale()).as("the shift our SYN-ACK offered").isEqualTo(reply.windowScale()).isPositive();
        assertThat(tcb.irs()).isEqualTo(isn);
        assertThat(tcb.advMss()).as("TCP_MAXSEG on the listener (tcp_mss_clamp())").isEqualTo(1200);
    }

    @Test
    void anEcnHandshake_isEcnOk() {
        t.establishedOneSegmentPerMss(false, TcpFlags.ECE | TcpFlags.CWR);
        assertThat(t.tcb().ecnOk()).isTrue();
    }

    @Test
    void aReset_isShownAsOne_andPollReportsTheHangUp() {
        t.established();
        t.peer.send(TcpFlags.RST, "");
        assertThat(t.tcb()).as("tcp_done(): the connection left the table").isNull();
        Tcb gone = t.kernel.inspect(k -> k.process(t.pid).fds().get(t.fd).socket().tcb());
        assertThat(gone.wasReset()).isTrue();
        assertThat(gone.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void anUnreadFin_countsOneInRecvQ_untilReadReturnsZero() {
        t.established();
        t.peer.data("abc");
        assertThat(t.tcb().finUnread()).isFalse();
        t.peer.fin();
        assertThat(t.tcb().finUnread()).isTrue();
        // /proc/net/tcp's rx_queue: three bytes and the FIN (tcp_inq-like accounting of tcp_diag)
        assertThat(procRow()).contains(" 08 00000000:00000004 ");
        assertThat(TcpFixture.text(t.read())).isEqualTo("abc");
        assertThat(procRow()).contains(" 08 00000000:00000001 ");
        assertThat(t.read().ret()).isZero();
        assertThat(t.tcb().finUnread()).isFalse();
        assertThat(procRow()).contains(" 08 00000000:00000000 ");
    }

    @Test
    void outOfOrderBytes_areHeldAndCounted() {
        t.established();
        int rcvNxt = t.peer.sndNxt();
        t.peer.sendAt(TcpFlags.ACK, rcvNxt + 100, t.peer.rcvNxt(), "x".repeat(300));
        t.peer.sendAt(TcpFlags.ACK, rcvNxt + 1000, t.peer.rcvNxt(), "y".repeat(200));
        Tcb tcb = t.tcb();
        assertThat(tcb.outOfOrderSegments()).isEqualTo(2);
        assertThat(tcb.outOfOrderBytes()).isEqualTo(500);
    }

    @Test
    void thePeersFin_dropsTheOutOfOrderData_andItsAckCarriesNoSackBlock() {
        // tcp_fin(): skb_rbtree_purge(&tp->out_of_order_queue) and tcp_sack_reset()
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.sackOk = true;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        int next = t.peer.sndNxt();
        PacketReport ofo = t.peer.sendAt(TcpFlags.ACK, next + 100, t.peer.rcvNxt(), "z".repeat(50));
        assertThat(ofo.sentSegments()).singleElement().satisfies(ack -> assertThat(sackBlocks(ack)).isEqualTo(1));
        assertThat(t.tcb().outOfOrderBytes()).isEqualTo(50);
        PacketReport fin = t.peer.fin();
        assertThat(t.tcb().state()).isEqualTo(TcpState.CLOSE_WAIT);
        assertThat(t.tcb().outOfOrderSegments()).isZero();
        assertThat(fin.sentSegments()).singleElement().satisfies(ack -> {
            assertThat(ack.ack()).isEqualTo(next + 1);
            assertThat(sackBlocks(ack)).isZero();
        });
    }

    @Test
    void timeWait_showsItsSixtySecondTimer_inProcNetTcp() {
        t.timeWait();
        assertThat(t.tcb().stateTimer()).isNotNull();
        // tw timer: "03" and 6000 ticks (60 s in hundredths)
        assertThat(procRow()).contains(" 06 00000000:00000000 03:00001770 ");
        t.kernel.advance(10_000);
        assertThat(procRow()).contains(" 06 00000000:00000000 03:00001388 ");
    }

    @Test
    void aRequestInSynRecv_countsItsSynAckRetransmissions_fromWhenTheSynCame() {
        t.kernel.advance(5_000);
        new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).send(TcpFlags.SYN, "");
        assertThat(t.tcb().createdAt()).isEqualTo(5_000);
        assertThat(procRow()).contains(" 03 00000000:00000000 01:00000064 00000000 ");
        t.kernel.advance(1_000);
        // the SYN-ACK went again at 1 s; the next in 2 s (req->num_timeout 1)
        assertThat(procRow()).contains(" 03 00000000:00000000 01:000000C8 00000001 ");
        t.kernel.advance(2_000);
        assertThat(procRow()).contains(" 03 00000000:00000000 01:00000190 00000002 ");
    }
}
