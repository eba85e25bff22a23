package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.IcmpMessage;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What tcp_v4_err() does with each kind of ICMP error, as the packet's trace shows it (the drop reason and its detail,
 * the tcp.icmp steps, the verdict), the nstat counters (OutOfWindowIcmps, ListenDrops), the socket's errno and the
 * segments that follow (tcp_v4_mtu_reduced(), tcp_done_with_error(), tcp_req_err()).
 */
class IcmpErrorsMutantsTest {

    private static final Endpoint ROUTER = Endpoint.parse("192.168.1.1:0");
    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");
    private final TcpFixture t = new TcpFixture();

    private static FourTuple fixtureTuple() {
        return new FourTuple(Endpoint.parse(TcpFixture.CLIENT), Endpoint.parse(TcpFixture.SERVER));
    }

    private PacketReport icmp(FourTuple tuple, int type, int code, int mtu, int seq) {
        return t.kernel.receiveRaw(IcmpMessage.encode(ROUTER.address(), tuple.local().address(), type, code, mtu, tuple, seq, 0));
    }

    private PacketReport icmp(int type, int code, int mtu, int seq) {
        return icmp(fixtureTuple(), type, code, mtu, seq);
    }

    private static String described(FourTuple tuple, int type, int code, int mtu, int seq) {
        try {
            return IcmpMessage.parse(IcmpMessage.encode(ROUTER.address(), tuple.local().address(), type, code, mtu, tuple, seq, 0))
                    .describe();
        } catch (io.vkernel.kernel.wire.MalformedPacketException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertIgnored(PacketReport report, String detail) {
        assertThat(report.verdict()).isEqualTo("dropped");
        assertThat(report.dropReason()).isEqualTo(DropReason.ICMP_IGNORED);
        assertThat(report.dropDetail()).isEqualTo(detail);
    }

    private static String u(int seq) {
        return Integer.toUnsignedString(seq);
    }

    @Test
    void aQuotedSequenceNumberOutsideSndUnaSndNxt_isCountedAndIgnored_atEitherEdge() {
        t.established();
        t.write("hello");
        int una = t.tcb().sndUna();
        int nxt = t.tcb().sndNxt();
        assertIgnored(icmp(IcmpMessage.DEST_UNREACH, 1, 0, una - 1), "the quoted sequence number " + u(una - 1)
                + " is outside [SND.UNA, SND.NXT] = [" + u(una) + ", " + u(nxt) + "]: a forged or stale message (OutOfWindowIcmps)");
        assertThat(t.counter(SnmpCounter.OUT_OF_WINDOW_ICMPS)).isEqualTo(1);
        assertIgnored(icmp(IcmpMessage.DEST_UNREACH, 1, 0, nxt + 1), "the quoted sequence number " + u(nxt + 1)
                + " is outside [SND.UNA, SND.NXT] = [" + u(una) + ", " + u(nxt) + "]: a forged or stale message (OutOfWindowIcmps)");
        assertThat(t.counter(SnmpCounter.OUT_OF_WINDOW_ICMPS)).isEqualTo(2);
        assertThat(icmp(IcmpMessage.DEST_UNREACH, 1, 0, nxt).verdict()).isEqualTo("soft error EHOSTUNREACH");
        assertThat(icmp(IcmpMessage.DEST_UNREACH, 0, 0, una).verdict()).isEqualTo("soft error ENETUNREACH");
        assertThat(t.counter(SnmpCounter.OUT_OF_WINDOW_ICMPS)).isEqualTo(2);
    }

    @Test
    void unreachableCode15_isTheLastLinuxKnows_asASoftError_code16IsIgnored() {
        t.established();
        int una = t.tcb().sndUna();
        PacketReport last = icmp(IcmpMessage.DEST_UNREACH, 15, 0, una);
        assertThat(last.verdict()).isEqualTo("soft error EHOSTUNREACH");
        assertThat(TcpFixture.steps(last, "tcp.icmp")).containsExactly(described(fixtureTuple(), IcmpMessage.DEST_UNREACH, 15, 0, una)
                + ": remembered as the soft error EHOSTUNREACH; the connection keeps trying and reports it only if it times out");
        assertIgnored(icmp(IcmpMessage.DEST_UNREACH, 16, 0, una), "destination unreachable code 16 is beyond the 15 Linux knows");
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void aRedirectAndSourceQuench_changeNothing_eachSaysWhy() {
        t.established();
        int una = t.tcb().sndUna();
        assertIgnored(icmp(IcmpMessage.REDIRECT, 1, 0, una), "a redirect changes the route, not the connection");
        assertIgnored(icmp(IcmpMessage.SOURCE_QUENCH, 0, 0, una), "source quench is ignored (RFC 6633)");
        assertThat(t.counter(SnmpCounter.OUT_OF_WINDOW_ICMPS)).isZero();
    }

    @Test
    void aConnectionInTimeWait_hasNothingToBeTold() {
        t.timeWait();
        assertIgnored(icmp(IcmpMessage.DEST_UNREACH, 1, 0, t.tcb().sndUna()), "the connection is in TIME_WAIT: nothing to tell it");
        assertThat(t.state()).isEqualTo(TcpState.TIME_WAIT);
    }

    @Test
    void fragmentationNeeded_atOrAboveTheCurrentPathMtu_orWithTheRouteLocked_isIgnored_sayingWhy() {
        t.established();
        int una = t.tcb().sndUna();
        assertIgnored(icmp(IcmpMessage.DEST_UNREACH, IcmpMessage.FRAG_NEEDED, 1500, una),
                "fragmentation needed, MTU 1500: the connection already uses 1500");
        t.kernel.sysctl(Sysctls.ROUTE_MTU_LOCK, 1);
        assertIgnored(icmp(IcmpMessage.DEST_UNREACH, IcmpMessage.FRAG_NEEDED, 1000, una),
                "fragmentation needed, MTU 1000: the connection already uses 1500 and the route's MTU is locked (ip route ... mtu lock)");
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_pmtu", 1500L);
    }

    @Test
    void ipMtuDiscover_dontAndInterface_ignoreFragmentationNeeded_probeDoesNot() {
        t.established();
        int una = t.tcb().sndUna();
        for (int mode : new int[] {0, 4}) {
            assertThat(TcpFixture.done(t.kernel.setsockopt(t.pid, t.fd, "IP_MTU_DISCOVER", mode, true)).ret()).isZero();
            assertIgnored(icmp(IcmpMessage.DEST_UNREACH, IcmpMessage.FRAG_NEEDED, 1200, una),
                    "fragmentation needed, MTU 1200: the connection already uses 1500 and IP_MTU_DISCOVER ignores path MTU discovery");
        }
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_pmtu", 1500L);
        assertThat(TcpFixture.done(t.kernel.setsockopt(t.pid, t.fd, "IP_MTU_DISCOVER", 3, true)).ret()).isZero(); // IP_PMTUDISC_PROBE
        PacketReport lowered = icmp(IcmpMessage.DEST_UNREACH, IcmpMessage.FRAG_NEEDED, 1200, una);
        assertThat(lowered.verdict()).isEqualTo("path MTU lowered to 1200");
        assertThat(TcpFixture.steps(lowered, "tcp.icmp")).containsExactly(
                "fragmentation needed, MTU 1200: path MTU 1200, MSS 1460 -> 1160 (tcp_v4_mtu_reduced(), tcp_sync_mss())");
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_pmtu", 1200L).containsEntry("tcpi_snd_mss", 1160L)
                .as("an established connection keeps the MSS it offered").containsEntry("tcpi_advmss", 1460L);
    }

    @Test
    void fragmentationNeeded_withDataTooBigForTheNewMtuOut_resendsItAtOnce() {
        t.sysctl(Sysctls.VKERNEL_GSO, 0); // one segment per MSS on the wire
        t.established();
        t.write(1400);
        int una = t.tcb().sndUna();
        PacketReport lowered = icmp(IcmpMessage.DEST_UNREACH, IcmpMessage.FRAG_NEEDED, 1200, una);
        assertThat(lowered.verdict()).isEqualTo("path MTU lowered to 1200; the segments too big for it resent");
        assertThat(lowered.sentSegments()).extracting(Segment::seq, s -> s.payload().length)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(una, 1160), org.assertj.core.groups.Tuple.tuple(una + 1160, 240));
    }

    private int connectingSocket() {
        int fd = (int) TcpFixture.done(t.kernel.socket(t.pid)).ret();
        Syscalls.Outcome outcome = t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null));
        assertThat(outcome).isInstanceOf(Syscalls.Pending.class);
        return fd;
    }

    private List<Segment> sentTo(Endpoint remote) {
        return t.kernel.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE)).stream()
                .filter(r -> !r.inbound() && r.segment().dst().equals(remote)).map(r -> r.segment()).toList();
    }

    @Test
    void inSynSent_anUnreachable_failsTheBlockedConnect_closesTheConnection_andNoSynFollows() {
        int fd = (int) TcpFixture.done(t.kernel.socket(t.pid)).ret();
        PendingCall connect = TcpFixture.pending(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null)));
        Tcb tcb = t.tcbOf(fd);
        FourTuple tuple = tcb.tuple();
        PacketReport report = icmp(tuple, IcmpMessage.DEST_UNREACH, 1, 0, tcb.iss());
        assertThat(TcpFixture.steps(report, "tcp.icmp")).containsExactly(described(tuple, IcmpMessage.DEST_UNREACH, 1, 0, tcb.iss())
                + ": connect() fails with EHOSTUNREACH (tcp_done_with_error())");
        assertThat(report.verdict()).isEqualTo("connection failed: EHOSTUNREACH");
        assertThat(report.woken()).isNotEmpty();
        assertThat(connect.isDone()).isTrue();
        TcpFixture.assertErrno(connect.result(), Errno.EHOSTUNREACH);
        Tcb gone = t.kernel.inspect(k -> k.established().find(tuple));
        assertThat(gone).isNull();
        int syns = sentTo(REMOTE).size();
        t.advanceSeconds(10);
        assertThat(sentTo(REMOTE)).as("no SYN retransmission").hasSize(syns);
    }

    @Test
    void inSynSent_fragmentationNeeded_lowersTheMssTheRetransmittedSynOffers() {
        int fd = connectingSocket();
        Tcb tcb = t.tcbOf(fd);
        PacketReport report = icmp(tcb.tuple(), IcmpMessage.DEST_UNREACH, IcmpMessage.FRAG_NEEDED, 1000, tcb.iss());
        assertThat(report.verdict()).isEqualTo("path MTU lowered to 1000");
        assertThat(report.sentSegments()).as("a plain SYN is not resent at once").isEmpty();
        assertThat(t.tcbOf(fd).advMss()).isEqualTo(960);
        t.advanceSeconds(1);
        List<Segment> syns = sentTo(REMOTE);
        assertThat(syns).hasSize(2);
        assertThat(syns.get(1).mss()).as("tcp_advertise_mss(): the route's MTU - 40").isEqualTo(960);
    }

    @Test
    void aFastOpenSynWithData_tooBigForTheReportedMtu_isResentAsAPlainSynAtOnce() {
        t.kernel.sysctl(Sysctls.TCP_FASTOPEN, 0x1 | 0x4); // client, no cookie needed (TFO_CLIENT_NO_COOKIE)
        int fd = (int) TcpFixture.done(t.kernel.socket(t.pid)).ret();
        t.kernel.sendto(t.pid, fd, new byte[1200], Syscalls.MSG_FASTOPEN, REMOTE, false, new PacketReport(null));
        Tcb tcb = t.tcbOf(fd);
        List<Segment> first = sentTo(REMOTE);
        assertThat(first).singleElement().satisfies(s -> assertThat(s.payload().length).isPositive());
        PacketReport report = icmp(tcb.tuple(), IcmpMessage.DEST_UNREACH, IcmpMessage.FRAG_NEEDED, 1000, tcb.iss());
        assertThat(TcpFixture.steps(report, "tcp.icmp")).hasSize(2).last()
                .isEqualTo("the SYN with data was too big: a plain SYN leaves now; the data follows the handshake");
        assertThat(report.verdict()).isEqualTo("SYN resent for the smaller path MTU");
        assertThat(report.sentSegments()).singleElement().satisfies(s -> {
            assertThat(s.flags()).isEqualTo(TcpFlags.SYN);
            assertThat(s.payload()).isEmpty();
            assertThat(s.mss()).isEqualTo(960);
        });
    }

    @Test
    void aPendingRequest_ignoresANonFatalError_andAFatalOneDropsItSilently_countedAsAListenDrop() {
        Peer peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        int iss = peer.send(TcpFlags.SYN, "").sentSegments().get(0).seq();
        assertIgnored(icmp(IcmpMessage.DEST_UNREACH, 3, 0, iss), "not a fatal error for a pending request");
        assertIgnored(icmp(IcmpMessage.DEST_UNREACH, 1, 0, iss + 1), "the quoted sequence number is not the SYN-ACK's ISN "
                + u(iss) + " (OutOfWindowIcmps)");
        assertThat(t.counter(SnmpCounter.OUT_OF_WINDOW_ICMPS)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.LISTEN_DROPS)).isZero();
        PacketReport fatal = icmp(IcmpMessage.TIME_EXCEEDED, 0, 0, iss);
        assertThat(TcpFixture.steps(fatal, "tcp.icmp")).containsExactly(described(fixtureTuple(), IcmpMessage.TIME_EXCEEDED, 0, 0, iss)
                + ": the pending request is removed silently (tcp_req_err(): POSIX wants no network error from accept())");
        assertThat(fatal.verdict()).isEqualTo("request dropped");
        assertThat(t.counter(SnmpCounter.LISTEN_DROPS)).isEqualTo(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void aFastOpenChildNotYetAccepted_isClosedWithTheError_butAcceptStillReturnsIt() {
        t.kernel.sysctl(Sysctls.TCP_FASTOPEN, 0x203); // server, no cookie required
        assertThat(TcpFixture.done(t.kernel.setsockopt(t.pid, t.listenFd, "TCP_FASTOPEN", 4, true)).ret()).isZero();
        Peer peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        int iss = peer.send(TcpFlags.SYN, "twenty bytes of data").sentSegments().get(0).seq();
        Tcb child = t.tcb();
        assertThat(child.state()).isEqualTo(TcpState.SYN_RECV);
        PacketReport report = icmp(IcmpMessage.DEST_UNREACH, 3, 0, iss);
        assertThat(TcpFixture.steps(report, "tcp.icmp")).containsExactly(described(fixtureTuple(), IcmpMessage.DEST_UNREACH, 3, 0, iss)
                + ": the Fast Open child not yet accepted is closed with ECONNREFUSED (tcp_done_with_error()); it stays in the "
                + "accept queue, its data readable, then read() fails with ECONNREFUSED");
        assertThat(report.verdict()).isEqualTo("connection failed: ECONNREFUSED");
        int fd = (int) TcpFixture.done(t.kernel.accept(t.pid, t.listenFd)).ret();
        assertThat(TcpFixture.text(TcpFixture.done(t.kernel.read(t.pid, fd, 100)))).isEqualTo("twenty bytes of data");
        TcpFixture.assertErrno(TcpFixture.done(t.kernel.read(t.pid, fd, 100)), Errno.ECONNREFUSED);
    }
}
