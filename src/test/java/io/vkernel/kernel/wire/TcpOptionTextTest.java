package io.vkernel.kernel.wire;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Options the kernel does not interpret are kept byte for byte and printed as tcpdump and packetdrill print them;
 * the option text a script writes is read with the same limits the wire has (kinds 2-255, 40 bytes in all).
 */
class TcpOptionTextTest {

    @Test
    void unknownOption_kindsTwoTo255_andUpTo38ValueBytes_areEncodable_othersAreRefused() {
        assertThat(new TcpOption.Unknown(2, new byte[38]).size()).isEqualTo(40);
        assertThat(new TcpOption.Unknown(255, null).size()).isEqualTo(2);
        assertThatThrownBy(() -> new TcpOption.Unknown(1, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kind 1");
        assertThatThrownBy(() -> new TcpOption.Unknown(256, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kind 256");
        assertThatThrownBy(() -> new TcpOption.Unknown(30, new byte[39])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("39 value bytes");
    }

    @Test
    void unknownOptions_areEqualByKindAndBytes() {
        TcpOption.Unknown a = new TcpOption.Unknown(30, new byte[]{1, 2});
        assertThat(a).isEqualTo(new TcpOption.Unknown(30, new byte[]{1, 2}));
        assertThat(a.hashCode()).isEqualTo(new TcpOption.Unknown(30, new byte[]{1, 2}).hashCode());
        assertThat(a).isNotEqualTo(new TcpOption.Unknown(31, new byte[]{1, 2}));
        assertThat(a).isNotEqualTo(new TcpOption.Unknown(30, new byte[]{1, 3}));
        assertThat(a).isNotEqualTo(new TcpOption.Nop());
        assertThat(a.hashCode()).isNotEqualTo(new TcpOption.Unknown(31, new byte[]{1, 2}).hashCode());
    }

    @Test
    void unknownOptions_printAsTcpdumpAndPacketdrillWriteThem() {
        byte[] twoBlocks = java.nio.ByteBuffer.allocate(16).putInt(2001).putInt(3001).putInt(-1).putInt(5).array();
        assertThat(new TcpOption.Unknown(5, twoBlocks)).hasToString("sack 2 {2001:3001}{4294967295:5}");
        assertThat(new TcpOption.Unknown(5, new byte[]{0, 0, 0, 1})).as("not whole blocks").hasToString("unknown-5 0x00000001");
        assertThat(new TcpOption.Unknown(5, null)).hasToString("unknown-5");
        assertThat(new TcpOption.Unknown(34, null)).hasToString("FO");
        assertThat(new TcpOption.Unknown(34, new byte[]{(byte) 0xab, 1})).hasToString("FO ab01");
        assertThat(new TcpOption.Unknown(254, new byte[]{(byte) 0xf9, (byte) 0x89})).hasToString("FOEXP");
        assertThat(new TcpOption.Unknown(254, new byte[]{(byte) 0xf9, (byte) 0x89, 7})).hasToString("FOEXP 07");
        assertThat(new TcpOption.Unknown(254, new byte[]{(byte) 0xf9})).hasToString("unknown-254 0xf9");
        assertThat(new TcpOption.Unknown(254, new byte[]{(byte) 0xf9, (byte) 0x88})).hasToString("unknown-254 0xf988");
        assertThat(new TcpOption.Unknown(254, new byte[]{(byte) 0xf8, (byte) 0x89})).hasToString("unknown-254 0xf889");
    }

    @Test
    void eolPadding_isKeptAsReceived_evenWhenItIsNotZero() throws Exception {
        byte[] bytes = {1, 0, 7, 9};
        TcpOptions options = TcpOptions.parse(bytes, 0, 4);
        assertThat(options.list()).hasSize(2);
        assertThat(((TcpOption.End) options.list().get(1)).padding()).containsExactly(7, 9);
        byte[] out = new byte[4];
        options.emit(out, 0);
        assertThat(out).containsExactly(1, 0, 7, 9);
    }

    @Test
    void optionEndingExactlyAtTheLastByte_isKept_oneBytePast_isMalformed() throws Exception {
        byte[] fits = {1, 1, 30, 4, 5, 6, 1, 1};
        TcpOptions kept = TcpOptions.parse(fits, 0, 6);
        assertThat(kept.list()).containsExactly(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Unknown(30, new byte[]{5, 6}));
        TcpOptions past = TcpOptions.parse(fits, 0, 5);
        assertThat(past.list()).hasSize(3);
        assertThat(past.list().get(2)).isInstanceOf(TcpOption.Malformed.class);
        assertThat(((TcpOption.Malformed) past.list().get(2)).problem()).contains("option byte 2 has length 4, which runs past the 5");
    }

    @Test
    void optionText_inBracketsOrAngleBrackets_orBare_readsTheSame_andMismatchedBracketsAreRefused() {
        TcpOptions expected = TcpOptions.of(new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.WindowScale(7));
        assertThat(TcpOptions.parseText("[mss 1460,nop,wscale 7]")).isEqualTo(expected);
        assertThat(TcpOptions.parseText("<mss 1460,nop,wscale 7>")).isEqualTo(expected);
        assertThat(TcpOptions.parseText(" mss 1460, nop , wscale 7 ")).isEqualTo(expected);
        assertThatThrownBy(() -> TcpOptions.parseText("[mss 1460>")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown option '[mss'");
        assertThatThrownBy(() -> TcpOptions.parseText("<mss 1460]")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown option '<mss'");
        assertThat(TcpOptions.parseText("[]").isEmpty()).isTrue();
        assertThat(TcpOptions.parseText(null).isEmpty()).isTrue();
        assertThat(expected.isEmpty()).isFalse();
    }

    @Test
    void optionText_takesFortyBytes_butNotFortyFour() {
        String ten = String.join(",", java.util.Collections.nCopies(10, "mss 1460"));
        assertThat(TcpOptions.parseText(ten).length()).isEqualTo(40);
        assertThatThrownBy(() -> TcpOptions.parseText(ten + ",mss 1460")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("options take 44 bytes");
    }
}
