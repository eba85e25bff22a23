package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The send buffer as Linux charges it: skbs of bytes plus 896 bytes each (sk_wmem_queued), split and merged as
 * segments leave, freed by ACKs, held against an sk_sndbuf that tcp_sndbuf_expand() sizes; and the chronographs
 * TCP_INFO reports. Sequence numbers start near the wrap to keep the modular comparisons honest.
 */
class SendBufferTest {

    private static final int ISN = -6000;
    private final Sysctls sysctls = new Sysctls();
    private final Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080")),
            TcpState.ESTABLISHED, 0);
    private final SendBuffer buffer = tcb.sendBuffer;

    SendBufferTest() {
        tcb.sndUna = ISN;
        tcb.sndNxt = ISN;
        tcb.peerMss = 1000;
        tcb.advMss = 1460;
        tcb.sndWnd = 100_000;
    }

    /** write() filling one new skb of {@code bytes}. */
    private void newSkb(int bytes) {
        buffer.entail(tcb);
        tcb.sendQueue.append(new byte[bytes]);
        buffer.extendTail(SendBuffer.writeSeq(tcb));
    }

    private void send(int bytes) {
        buffer.sent(tcb.sndNxt, tcb.sndNxt + bytes);
        tcb.sndNxt += bytes;
    }

    private void ack(int bytes) {
        tcb.sendQueue.drop(bytes);
        tcb.sndUna += bytes;
        buffer.acked(tcb.sndUna);
    }

    @Test
    void threeSkbs_chargeTheirBytesPlus896Each() {
        newSkb(4000);
        newSkb(4000);
        newSkb(1000);
        assertThat(buffer.skbs(tcb)).isEqualTo(3);
        assertThat(buffer.wmemQueued(tcb)).isEqualTo(3 * 896 + 9000);
    }

    @Test
    void segmentEndingInsideAnSkb_splitsIt_oneSpanningTwo_leavesThemApart() {
        newSkb(4000);
        newSkb(4000);
        send(1000);
        assertThat(buffer.skbs(tcb)).as("tso_fragment(): the rest is a second skb").isEqualTo(3);
        send(5000);
        assertThat(buffer.skbs(tcb)).as("[1000, 4000), [4000, 6000) and the rest [6000, 8000)").isEqualTo(4);
        send(2000);
        assertThat(buffer.skbs(tcb)).isEqualTo(4);
        assertThat(buffer.openTailLength(tcb)).as("nothing unsent to append to").isEqualTo(-1);
    }

    @Test
    void ack_freesWholeSkbs_andTrimsTheBytesOfAPartlyAckedOne() {
        newSkb(4000);
        newSkb(4000);
        send(8000);
        ack(5000);
        assertThat(buffer.skbs(tcb)).isEqualTo(1);
        assertThat(buffer.wmemQueued(tcb)).isEqualTo(896 + 3000);
        ack(3000);
        assertThat(buffer.wmemQueued(tcb)).isZero();
    }

    @Test
    void openTail_onlyWhileNothingOfItLeft() {
        newSkb(3000);
        assertThat(buffer.openTailLength(tcb)).isEqualTo(3000);
        send(1000);
        assertThat(buffer.openTailLength(tcb)).as("the unsent rest, split off").isEqualTo(2000);
        tcb.tailEor = true;
        assertThat(buffer.openTailLength(tcb)).as("MSG_EOR closed it").isEqualTo(-1);
    }

    @Test
    void sndBuf_atEstablishment_twoWindowsOfTenWorstCaseSkbs() {
        assertThat(buffer.sndBuf(tcb, sysctls)).as("2 x 10 x (2048 + 256) for a 1000-byte MSS").isEqualTo(46_080);
        Tcb other = new Tcb(tcb.tuple(), TcpState.ESTABLISHED, 0);
        other.peerMss = 1460;
        assertThat(other.sendBuffer.sndBuf(other, sysctls)).as("ss -m's familiar tb87040").isEqualTo(87_040);
        sysctls.set(Sysctls.TCP_WMEM_DEFAULT, 100_000);
        Tcb big = new Tcb(tcb.tuple(), TcpState.ESTABLISHED, 0);
        assertThat(big.sendBuffer.sndBuf(big, sysctls)).as("tcp_wmem[1] when larger").isEqualTo(100_000);
    }

    @Test
    void newSpace_growsTheBufferOnlyWhileCwndIsNotFull() {
        tcb.cwnd = 20;
        newSkb(20_000);
        send(20_000);
        buffer.newSpace(tcb, sysctls);
        assertThat(buffer.sndBuf(tcb, sysctls)).as("20 segments in flight fill cwnd 20").isEqualTo(46_080);
        ack(4000);
        buffer.newSpace(tcb, sysctls);
        assertThat(buffer.sndBuf(tcb, sysctls)).as("2 x 20 x 2304").isEqualTo(92_160);
        tcb.cwnd = 10_000;
        buffer.newSpace(tcb, sysctls);
        assertThat(buffer.sndBuf(tcb, sysctls)).as("capped by tcp_wmem[2]").isEqualTo(4_194_304);
    }

    @Test
    void writeable_wantsHalfTheChargedTruesizeFree_memoryFree_onlyRoomForANewSkb() {
        for (int i = 0; i < 7; i++) {
            newSkb(4000);
        }
        send(28_000); // seven GSO packets, one per skb
        long charged = 7 * (896 + 4000);
        assertThat(buffer.wmemQueued(tcb)).isEqualTo(charged);
        assertThat(buffer.memoryFree(tcb, sysctls)).as("34272 < 46080").isTrue();
        assertThat(buffer.writeable(tcb, sysctls)).as("11808 free < 17136").isFalse();
        ack(8000);
        assertThat(buffer.writeable(tcb, sysctls)).as("5 skbs: 24480 charged, 21600 free >= 12240").isTrue();
    }

    @Test
    void notsentLowat_stopsNewSkbsAtTheMark_pollWantsTwiceUnder() {
        tcb.socket = null;
        sysctls.set(Sysctls.TCP_NOTSENT_LOWAT, 3000);
        newSkb(2000);
        assertThat(buffer.memoryFree(tcb, sysctls)).as("2000 unsent < 3000").isTrue();
        assertThat(buffer.writeable(tcb, sysctls)).as("2 x 2000 >= 3000").isFalse();
        send(1000);
        assertThat(buffer.writeable(tcb, sysctls)).as("2 x 1000 < 3000").isTrue();
        newSkb(2000);
        assertThat(buffer.memoryFree(tcb, sysctls)).as("3000 unsent").isFalse();
    }

    @Test
    void chrono_limitedTimeCountsAsBusy_theMostInterestingConditionWins() {
        Chrono chrono = buffer.chrono();
        chrono.start(Chrono.BUSY, 100);
        chrono.start(Chrono.RWND_LIMITED, 110);
        chrono.start(Chrono.BUSY, 120); // less interesting: ignored
        chrono.stop(Chrono.RWND_LIMITED, 150, false); // back to busy
        chrono.start(Chrono.SNDBUF_LIMITED, 160);
        chrono.stop(Chrono.BUSY, 170, false); // not the running one: ignored
        assertThat(chrono.type()).isEqualTo(Chrono.SNDBUF_LIMITED);
        chrono.stop(Chrono.SNDBUF_LIMITED, 180, true); // nothing queued: all stop
        assertThat(buffer.chronoMicros(500)).containsExactly(80_000, 40_000, 20_000);
    }
}
