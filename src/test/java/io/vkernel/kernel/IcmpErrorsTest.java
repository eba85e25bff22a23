package io.vkernel.kernel;

import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.IcmpMessage;
import io.vkernel.kernel.wire.MalformedPacketException;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ICMP errors at the NIC: parsed and checked as icmp_rcv() does, then handed to the quoted connection (tcp_v4_err()). */
class IcmpErrorsTest {

    private static final Endpoint CLIENT = Endpoint.parse("192.168.1.100:54321");
    private static final Endpoint SERVER = Endpoint.parse("10.0.0.50:8080");
    private static final FourTuple TUPLE = new FourTuple(CLIENT, SERVER);

    private Kernel kernel;
    private int iss;

    @BeforeEach
    void aPendingRequest() {
        kernel = new Kernel(KernelConfig.defaults("icmp", 42));
        int pid = kernel.spawn("server").pid();
        int fd = (int) ((Syscalls.Done) kernel.socket(pid)).result().ret();
        kernel.bind(pid, fd, Endpoint.parse("0.0.0.0:8080"));
        kernel.listen(pid, fd, 128);
        PacketReport synAck = kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.SYN, 1000, 0, 65535, 1460, new byte[0]));
        iss = synAck.sentSegments().get(0).seq();
    }

    @Test
    void aMessage_roundTripsThroughItsBytes_andADamagedOneFailsItsChecksum() throws MalformedPacketException {
        byte[] bytes = IcmpMessage.encode(CLIENT.address(), SERVER.address(), IcmpMessage.DEST_UNREACH, IcmpMessage.FRAG_NEEDED,
                1200, TUPLE, iss, 1460);
        IcmpMessage icmp = IcmpMessage.parse(bytes);
        assertThat(icmp.mtu()).isEqualTo(1200);
        assertThat(icmp.quotedTuple()).isEqualTo(TUPLE);
        assertThat(icmp.quotedSeq()).isEqualTo(iss);
        assertThat(icmp.describe()).isEqualTo("ICMP 192.168.1.100 > 10.0.0.50: unreachable - need to frag (mtu 1200) about "
                + "10.0.0.50:8080 > 192.168.1.100:54321 seq " + Integer.toUnsignedString(iss));

        bytes[bytes.length - 1] ^= 1;
        assertThatThrownBy(() -> IcmpMessage.parse(bytes)).hasMessageContaining("ICMP checksum does not verify");
        PacketReport report = kernel.receiveRaw(bytes);
        assertThat(report.dropReason()).isEqualTo(DropReason.BAD_IP_CHECKSUM);
        assertThat(request().state()).isEqualTo(TcpState.SYN_RECV);
    }

    @Test
    void aFatalErrorQuotingTheRequestsIsn_dropsIt_butAnyOtherSequenceNumberIsCountedAndIgnored() {
        PacketReport stale = kernel.receiveRaw(IcmpMessage.encode(CLIENT.address(), SERVER.address(), IcmpMessage.DEST_UNREACH, 1,
                0, TUPLE, iss + 5, 0));
        assertThat(stale.dropReason()).isEqualTo(DropReason.ICMP_IGNORED);
        assertThat(kernel.nstat()).containsEntry("TcpExtOutOfWindowIcmps", 1L);
        assertThat(request().state()).isEqualTo(TcpState.SYN_RECV);

        // port unreachable is not fatal for a request (tcp_req_err()'s abort covers net/host unreachable only)
        kernel.receiveRaw(IcmpMessage.encode(CLIENT.address(), SERVER.address(), IcmpMessage.DEST_UNREACH, 3, 0, TUPLE, iss, 0));
        assertThat(request().state()).isEqualTo(TcpState.SYN_RECV);

        PacketReport fatal = kernel.receiveRaw(IcmpMessage.encode(CLIENT.address(), SERVER.address(), IcmpMessage.DEST_UNREACH, 1,
                0, TUPLE, iss, 0));
        assertThat(fatal.verdict()).isEqualTo("request dropped");
        assertThat(request()).as("removed from the established table").isNull();
    }

    @Test
    void anIcmpForNoConnection_orNotAnError_isDroppedAndCounted() {
        FourTuple other = new FourTuple(Endpoint.parse("192.168.1.100:1"), SERVER);
        PacketReport none = kernel.receiveRaw(IcmpMessage.encode(CLIENT.address(), SERVER.address(), IcmpMessage.DEST_UNREACH, 1,
                0, other, 0, 0));
        assertThat(none.dropReason()).isEqualTo(DropReason.ICMP_IGNORED);
        assertThat(kernel.inspect(k -> k.nic().drops()).get(DropReason.ICMP_IGNORED)).isEqualTo(1L);
    }

    @Test
    void onAnEstablishedConnection_anUnreachableIsASoftError_thatTheRetransmissionTimeoutReportsInsteadOfEtimedout() {
        TcpFixture t = new TcpFixture().established();
        t.kernel.sysctl(io.vkernel.kernel.Sysctls.TCP_RETRIES2, 2);
        t.write("lost on the way");
        FourTuple tuple = new FourTuple(Endpoint.parse(TcpFixture.CLIENT), Endpoint.parse(TcpFixture.SERVER));
        PacketReport soft = t.kernel.receiveRaw(IcmpMessage.encode(CLIENT.address(), SERVER.address(), IcmpMessage.DEST_UNREACH,
                3, 0, tuple, t.tcb().sndUna(), 15));
        assertThat(soft.verdict()).isEqualTo("soft error ECONNREFUSED");
        assertThat(t.state()).as("the connection keeps trying").isEqualTo(TcpState.ESTABLISHED);
        t.advanceSeconds(30);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        TcpFixture.assertErrno(t.read(), io.vkernel.kernel.socket.Errno.ECONNREFUSED); // tcp_write_err(): sk_err_soft ?: ETIMEDOUT
    }

    @Test
    void fragmentationNeeded_onAnEstablishedConnection_lowersThePathMtuAndTheMss_butNeverRaisesThem() {
        TcpFixture t = new TcpFixture().established();
        FourTuple tuple = new FourTuple(Endpoint.parse(TcpFixture.CLIENT), Endpoint.parse(TcpFixture.SERVER));
        t.kernel.receiveRaw(IcmpMessage.encode(CLIENT.address(), SERVER.address(), IcmpMessage.DEST_UNREACH, IcmpMessage.FRAG_NEEDED,
                1280, tuple, t.tcb().sndUna(), 0));
        assertThat(io.vkernel.kernel.tcp.TcpInfo.of(t.tcb())).containsEntry("tcpi_pmtu", 1280L).containsEntry("tcpi_snd_mss", 1240L);
        PacketReport higher = t.kernel.receiveRaw(IcmpMessage.encode(CLIENT.address(), SERVER.address(), IcmpMessage.DEST_UNREACH,
                IcmpMessage.FRAG_NEEDED, 1400, tuple, t.tcb().sndUna(), 0));
        assertThat(higher.dropReason()).isEqualTo(DropReason.ICMP_IGNORED);
        assertThat(io.vkernel.kernel.tcp.TcpInfo.of(t.tcb())).containsEntry("tcpi_pmtu", 1280L);
    }

    @Test
    void aLearnedPathMtu_startsLaterConnectionsToThatPeer_untilItExpires_andALockedRouteIgnoresIt() {
        TcpFixture t = new TcpFixture().established();
        FourTuple tuple = new FourTuple(Endpoint.parse(TcpFixture.CLIENT), Endpoint.parse(TcpFixture.SERVER));
        t.kernel.receiveRaw(IcmpMessage.encode(CLIENT.address(), SERVER.address(), IcmpMessage.DEST_UNREACH, IcmpMessage.FRAG_NEEDED,
                1200, tuple, t.tcb().sndUna(), 0));
        // a route exception (__ip_rt_update_pmtu()): the next connection starts at 1200 but still offers 1460
        Tcb second = accepted(t, "192.168.1.100:40001");
        assertThat(io.vkernel.kernel.tcp.TcpInfo.of(second)).containsEntry("tcpi_pmtu", 1200L).containsEntry("tcpi_advmss", 1460L)
                .containsEntry("tcpi_snd_mss", 1160L);
        // another peer's route is not affected
        assertThat(io.vkernel.kernel.tcp.TcpInfo.of(accepted(t, "192.168.1.101:40001"))).containsEntry("tcpi_pmtu", 1500L);
        // net.ipv4.route.mtu_expires: forgotten after 10 minutes
        t.advanceSeconds(601);
        assertThat(io.vkernel.kernel.tcp.TcpInfo.of(accepted(t, "192.168.1.100:40002"))).containsEntry("tcpi_pmtu", 1500L);
        // 'mtu lock': ICMP no longer lowers the route's MTU
        t.kernel.sysctl(Sysctls.ROUTE_MTU_LOCK, 1);
        Tcb locked = accepted(t, "192.168.1.100:40003");
        PacketReport ignored = t.kernel.receiveRaw(IcmpMessage.encode(CLIENT.address(), SERVER.address(), IcmpMessage.DEST_UNREACH,
                IcmpMessage.FRAG_NEEDED, 1000, locked.tuple(), locked.sndUna(), 0));
        assertThat(ignored.dropReason()).isEqualTo(DropReason.ICMP_IGNORED);
        assertThat(io.vkernel.kernel.tcp.TcpInfo.of(locked)).containsEntry("tcpi_pmtu", 1500L);
    }

    private static Tcb accepted(TcpFixture t, String client) {
        new Peer(t.kernel, client, TcpFixture.SERVER).connect();
        TcpFixture.done(t.kernel.accept(t.pid, t.listenFd));
        FourTuple tuple = new FourTuple(Endpoint.parse(client), Endpoint.parse(TcpFixture.SERVER));
        return t.kernel.inspect(k -> k.established().find(tuple));
    }

    private Tcb request() {
        return kernel.inspect(k -> k.established().find(TUPLE));
    }
}
