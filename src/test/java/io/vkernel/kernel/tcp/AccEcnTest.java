package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import io.vkernel.kernel.wire.WirePacket;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Accurate ECN's arithmetic that scripts reach only in corners: the option squeezed between timestamps and SACK
 * blocks (tcp_options_fit_accecn()), the guess of how often the 3-bit ACE counter wrapped on a large ACK
 * (__tcp_accecn_process()), and the AE flag on the wire.
 */
class AccEcnTest {

    private static final Endpoint LOCAL = Endpoint.parse("192.168.0.1:8080");
    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:40000");
    private final Tcb tcb = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.ESTABLISHED, 0);
    private final AccEcn accEcn = new AccEcn(true, new Sysctls());

    private static TcpOption sack(int blocks) {
        ByteBuffer value = ByteBuffer.allocate(8 * blocks);
        for (int i = 0; i < blocks; i++) {
            value.putInt(1001 + 2000 * i).putInt(2001 + 2000 * i);
        }
        return new TcpOption.Unknown(5, value.array());
    }

    private static List<TcpOption> withTimestamps() {
        List<TcpOption> list = new ArrayList<>();
        list.add(new TcpOption.Nop());
        list.add(new TcpOption.Nop());
        list.add(new TcpOption.Timestamps(1, 2));
        return list;
    }

    @Test
    void option_aloneTakesAllThreeCountersPaddedToTwelveBytes() {
        List<TcpOption> list = new ArrayList<>();
        accEcn.receivedBytes[Ecn.CE - 1] = 1000;

        assertThat(accEcn.appendOption(list, null, 0)).isNull();

        assertThat(list).hasSize(2);
        assertThat(list.get(0)).isEqualTo(new TcpOption.Unknown(AccEcn.KIND_ACCECN1, new byte[] {0, 0, 1, 0, 3, (byte) 0xe8, 0, 0, 1}));
        assertThat(list.get(1)).isInstanceOf(TcpOption.Nop.class);
    }

    @Test
    void option_withTimestampsAndThreeSackBlocks_givesUpASackBlockWhenTwoCountersSuffice() {
        List<TcpOption> list = withTimestamps();
        accEcn.minLen = 2; // a CE mark arrived: ECT(1) and CE counters must go

        TcpOption sent = accEcn.appendOption(list, sack(3), 0);

        assertThat(list.get(3).size()).as("ECN e1b ceb: 2 + 2 x 3 bytes").isEqualTo(8);
        assertThat(sent.size()).as("two SACK blocks left").isEqualTo(2 + 16);
        assertThat(list.subList(4, 6)).as("padding shared with the SACK option").allMatch(o -> o instanceof TcpOption.Nop);
        int total = list.stream().mapToInt(TcpOption::size).sum() + sent.size();
        assertThat(total).as("the 40 bytes exactly").isEqualTo(40);
    }

    @Test
    void option_thatNeedsItsThirdCounter_isLeftOutRatherThanLosingTwoSackBlocks() {
        List<TcpOption> list = withTimestamps();
        accEcn.minLen = 3; // ECT(0) bytes changed: only the third counter reports them

        TcpOption sent = accEcn.appendOption(list, sack(3), 0);

        assertThat(list).hasSize(3);
        assertThat(sent.size()).as("all three SACK blocks stay").isEqualTo(2 + 24);
    }

    @Test
    void option_thatNeedsItsThirdCounter_besideTimestampsAndTwoSackBlocks_isLeftOut_bothBlocksStay() {
        // tcp_options_fit_accecn(): a SACK block is given up for the option only while more than two remain
        List<TcpOption> list = withTimestamps();
        accEcn.minLen = 3;

        TcpOption sent = accEcn.appendOption(list, sack(2), 0);

        assertThat(list).as("no AccECN option: 8 bytes are left and it needs 12").hasSize(3);
        assertThat(sent.size()).as("both SACK blocks stay").isEqualTo(2 + 16);
    }

    @Test
    void option_thatNeedsOnlyItsFirstCounter_fitsBesideFourSackBlocks_withoutGivingOneUp() {
        // without timestamps four blocks leave 4 bytes: ECN e1b alone (5 bytes, padded with the SACK option's nops)
        List<TcpOption> list = new ArrayList<>();
        accEcn.minLen = 1; // only ECT(1) bytes arrived since the last option
        accEcn.receivedBytes[Ecn.ECT1 - 1] = 7;

        TcpOption sent = accEcn.appendOption(list, sack(4), 0);

        assertThat(list.get(0)).isEqualTo(new TcpOption.Unknown(AccEcn.KIND_ACCECN1, new byte[] {0, 0, 8}));
        assertThat(sent).as("all four SACK blocks stay").isEqualTo(sack(4));
        int total = list.stream().mapToInt(TcpOption::size).sum() + sent.size();
        assertThat(total).isEqualTo(40);
    }

    @Test
    void anOptionLongerThanThreeCounters_isReadForItsFirstThreeOnly() {
        // tcp_accecn_process_option(): at most three 3-byte fields are read, whatever the option's length
        tcb.accEcn = accEcn;
        byte[] value = {0, 0, 1, 0, 0, 0, 0, 0x03, (byte) 0xe9, 0, 0x27, 0x11};
        Segment ack = new Segment(REMOTE, LOCAL, TcpFlags.ACK | TcpFlags.AE | TcpFlags.ECE, 1, 1001, 264, 0, null,
                TcpOptions.of(new TcpOption.Unknown(AccEcn.KIND_ACCECN1, value)), 0);
        AccEcn.ackProcessed(tcb, ack, new AccEcn.Ack(true, false, false, 1, 1000));
        assertThat(accEcn.deliveredBytes).as("ECT(1), ECT(0), CE bytes: ECT(0) from the third field, 0x3e9 - 1")
                .containsExactly(0, 1000, 0);
        assertThat(TcpInfo.of(tcb)).containsEntry("tcpi_delivered_e0_bytes", 1000L);
    }

    @Test
    void largeAck_counterWrapsAssumedUnlessAcksAreCompressed() {
        Segment ackAce5 = new Segment(REMOTE, LOCAL, TcpFlags.ACK | TcpFlags.AE | TcpFlags.ECE, 1, 14601, 264, 0, null);
        tcb.accEcn = accEcn;
        // one small ACK first: ten segments on the next ACK may hide a wrap of the 3-bit counter (8 CE marks)
        AccEcn.ackProcessed(tcb, ackAce5, new AccEcn.Ack(true, false, false, 1, 1460));
        int counted = AccEcn.ackProcessed(tcb, ackAce5, new AccEcn.Ack(true, false, false, 9, 13140));
        assertThat(counted).as("returned as the ACK's CE count, FLAG_ECE for congestion control").isEqualTo(8);
        assertThat(accEcn.deliveredCe).isEqualTo(8);

        Tcb other = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.ESTABLISHED, 0);
        other.accEcn = new AccEcn(true, new Sysctls());
        // ten segments on the first ACK: the peer compresses ACKs, so the counter is taken at face value
        AccEcn.ackProcessed(other, ackAce5, new AccEcn.Ack(true, false, false, 10, 14600));
        assertThat(other.accEcn.deliveredCe).isZero();
    }

    @Test
    void ackWithoutProgress_changesNothing() {
        Segment ackAce6 = new Segment(REMOTE, LOCAL, TcpFlags.ACK | TcpFlags.AE | TcpFlags.CWR, 1, 1, 264, 0, null);
        tcb.accEcn = accEcn;
        AccEcn.ackProcessed(tcb, ackAce6, new AccEcn.Ack(false, false, false, 0, 0));
        assertThat(accEcn.deliveredCe).isZero();
        AccEcn.ackProcessed(tcb, ackAce6, new AccEcn.Ack(false, true, false, 0, 0));
        assertThat(accEcn.deliveredCe).as("a newer timestamp counts as progress").isEqualTo(1);
    }

    @Test
    void aeFlag_travelsInTheLowestReservedBit() throws Exception {
        Segment segment = new Segment(LOCAL, REMOTE, TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR | TcpFlags.AE, 7, 0, 1000, 0,
                null, TcpOptions.NONE, 0);
        byte[] bytes = WirePacket.encode(segment);
        assertThat(bytes[20 + 12] & 0x0f).isEqualTo(1);
        assertThat(WirePacket.parse(bytes).segment().flags()).isEqualTo(segment.flags());
        assertThat(TcpFlags.format(segment.flags())).isEqualTo("SEWA");
    }
}
