package io.vkernel.kernel.wire;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Sequence comparisons modulo 2^32 at their edges (equal, one apart, across the wrap) and the flag spellings a user
 * types and reads: tcpdump letters and names, both ways.
 */
class SeqAndFlagsTest {

    @Test
    void seqComparisons_atEqual_oneApart_andAcrossTheWrap() {
        assertThat(Seq.before(5, 5)).isFalse();
        assertThat(Seq.beforeOrEqual(5, 5)).isTrue();
        assertThat(Seq.after(5, 5)).isFalse();
        assertThat(Seq.before(4, 5)).isTrue();
        assertThat(Seq.after(4, 5)).isFalse();
        assertThat(Seq.beforeOrEqual(6, 5)).isFalse();
        assertThat(Seq.after(6, 5)).isTrue();
        assertThat(Seq.before(0xFFFFFFF0, 0x10)).isTrue();
        assertThat(Seq.after(0x10, 0xFFFFFFF0)).isTrue();
        assertThat(Seq.beforeOrEqual(0x10, 0xFFFFFFF0)).isFalse();
        assertThat(Seq.unsigned(-1)).isEqualTo(4294967295L);
        assertThat(Seq.unsigned(0x7fffffff)).isEqualTo(2147483647L);
    }

    @Test
    void inWindow_includesTheStart_excludesTheEnd_andWraps() {
        assertThat(Seq.inWindow(100, 100, 10)).isTrue();
        assertThat(Seq.inWindow(109, 100, 10)).isTrue();
        assertThat(Seq.inWindow(110, 100, 10)).isFalse();
        assertThat(Seq.inWindow(99, 100, 10)).isFalse();
        assertThat(Seq.inWindow(100, 100, 0)).isFalse();
        assertThat(Seq.inWindow(3, -5, 10)).isTrue();
        assertThat(Seq.inWindow(5, -5, 10)).isFalse();
    }

    @Test
    void format_spellsFlagsAsTcpdump_inHeaderOrder_withAckAsADot() {
        assertThat(TcpFlags.format(TcpFlags.SYN)).isEqualTo("S");
        assertThat(TcpFlags.format(TcpFlags.SYN | TcpFlags.ACK)).isEqualTo("S.");
        assertThat(TcpFlags.format(TcpFlags.FIN | TcpFlags.PSH | TcpFlags.ACK)).isEqualTo("FP.");
        assertThat(TcpFlags.format(TcpFlags.RST)).isEqualTo("R");
        assertThat(TcpFlags.format(TcpFlags.ACK | TcpFlags.URG)).isEqualTo(".U");
        assertThat(TcpFlags.format(0)).isEqualTo("none");
        assertThat(TcpFlags.names(TcpFlags.SYN | TcpFlags.ACK)).isEqualTo("SYN,ACK");
        assertThat(TcpFlags.names(TcpFlags.FIN | TcpFlags.RST | TcpFlags.URG)).isEqualTo("FIN,RST,URG");
        assertThat(TcpFlags.names(0)).isEmpty();
    }

    @Test
    void parse_readsLetters_bracketedLetters_andNamesWithAnySeparator() {
        assertThat(TcpFlags.parse("S")).isEqualTo(TcpFlags.SYN);
        assertThat(TcpFlags.parse("S.")).isEqualTo(TcpFlags.SYN | TcpFlags.ACK);
        assertThat(TcpFlags.parse(" [FP.] ")).isEqualTo(TcpFlags.FIN | TcpFlags.PSH | TcpFlags.ACK);
        assertThat(TcpFlags.parse("RU")).isEqualTo(TcpFlags.RST | TcpFlags.URG);
        assertThat(TcpFlags.parse("syn")).isEqualTo(TcpFlags.SYN);
        assertThat(TcpFlags.parse("SYN,ACK")).isEqualTo(TcpFlags.SYN | TcpFlags.ACK);
        assertThat(TcpFlags.parse("fin|psh+ack")).isEqualTo(TcpFlags.FIN | TcpFlags.PSH | TcpFlags.ACK);
        assertThat(TcpFlags.parse("RST  ACK")).isEqualTo(TcpFlags.RST | TcpFlags.ACK);
        assertThat(TcpFlags.parse("URG")).isEqualTo(TcpFlags.URG);
        for (int flags = 1; flags < 64; flags++) {
            assertThat(TcpFlags.parse(TcpFlags.format(flags))).isEqualTo(flags);
            assertThat(TcpFlags.parse(TcpFlags.names(flags))).isEqualTo(flags);
        }
    }

    @Test
    void parse_refusesWhatIsNotAFlag_namingIt() {
        assertThatThrownBy(() -> TcpFlags.parse("  ")).hasMessageStartingWith("flags are required");
        assertThatThrownBy(() -> TcpFlags.parse(null)).hasMessageStartingWith("flags are required");
        assertThatThrownBy(() -> TcpFlags.parse("SX")).hasMessageStartingWith("unknown flag 'X' in \"SX\"");
        assertThatThrownBy(() -> TcpFlags.parse("SYN,FOO")).hasMessageStartingWith("unknown flag 'FOO'");
        assertThatThrownBy(() -> TcpFlags.parse(",")).hasMessageStartingWith("no flag given");
    }
}
