package io.vkernel.script;

import io.vkernel.kernel.tcp.AccEcn;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** packetdrill's Accurate ECN notation: the AE flag, an ACE value after the flags, and the AccECN option both ways. */
class AccEcnNotationTest {

    private static final String PREAMBLE = """
            0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0   bind(3, ..., ...) = 0
            +0   listen(3, 1) = 0
            """;

    private static PacketLine packet(String line) {
        return (PacketLine) ScriptParserTest.parse(PREAMBLE + line + "\n").events().get(3).action();
    }

    @Test
    void flags_aeLetterAndAceDigitInEverySpelling() {
        assertThat(packet("+0 < SEWA 0:0(0) win 100").flags()).isEqualTo(TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR | TcpFlags.AE);
        int ace5 = TcpFlags.AE | TcpFlags.ECE;
        assertThat(packet("+0 > .5 1:1(0) ack 1").flags()).isEqualTo(TcpFlags.ACK | ace5);
        assertThat(packet("+0 > P.5 1:11(10) ack 1").flags()).isEqualTo(TcpFlags.PSH | TcpFlags.ACK | ace5);
        assertThat(packet("+0 > P5. 1:11(10) ack 1").flags()).isEqualTo(TcpFlags.PSH | TcpFlags.ACK | ace5);
        assertThat(packet("+0 > F.6 1:1(0) ack 1").flags()).isEqualTo(TcpFlags.FIN | TcpFlags.ACK | TcpFlags.AE | TcpFlags.CWR);
        assertThat(packet("+0 > EAP. 1:11(10) ack 1").flags()).isEqualTo(TcpFlags.PSH | TcpFlags.ACK | ace5);
        ScriptParserTest.refused(PREAMBLE + "+0 < SX 0:0(0) win 100\n", 4, "A (AE)");
    }

    @Test
    void option_orderFromTheFirstCounter_printedBackTheSameWay() {
        PacketLine order1 = packet("+0 > . 1:1(0) ack 1 <ECN e1b 1 ceb 1000 e0b 1,nop>");
        TcpOption option = order1.options().get(0);
        assertThat(option.kind()).isEqualTo(AccEcn.KIND_ACCECN1);
        assertThat(option.size()).isEqualTo(11);
        assertThat(Notation.option(option)).isEqualTo("ECN e1b 1 ceb 1000 e0b 1");
        PacketLine order0 = packet("+0 < . 1:1(0) ack 1 win 100 <ECN e0b 1 ceb 0>");
        assertThat(order0.options().get(0).kind()).isEqualTo(AccEcn.KIND_ACCECN0);
        assertThat(Notation.option(order0.options().get(0))).isEqualTo("ECN e0b 1 ceb 0");
        ScriptParserTest.refused(PREAMBLE + "+0 < . 1:1(0) ack 1 win 100 <ECN e0b 1 e1b 1 ceb 0,nop>\n", 4,
                "go e0b ceb e1b (kind 172) or e1b ceb e0b (kind 174)");
    }
}
