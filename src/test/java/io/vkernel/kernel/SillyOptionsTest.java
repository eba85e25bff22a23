package io.vkernel.kernel;

import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import io.vkernel.kernel.wire.WirePacket;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcp_parse_options() stops at an option it cannot read — no length byte, a length below 2 ("silly options"), a
 * length past the header — and the segment is processed as usual with the options read so far.
 */
class SillyOptionsTest {

    private final Kernel kernel = new Kernel(KernelConfig.defaults("silly", 42));

    SillyOptionsTest() {
        int pid = kernel.spawn("server").pid();
        int fd = (int) done(kernel.socket(pid)).ret();
        done(kernel.bind(pid, fd, Endpoint.parse("0.0.0.0:8080")));
        done(kernel.listen(pid, fd, 16));
    }

    private PacketReport rawSyn(TcpOption... options) {
        Segment syn = new Segment(Endpoint.parse(TcpFixture.CLIENT), Endpoint.parse(TcpFixture.SERVER), TcpFlags.SYN, 1000, 0,
                65535, 0, null, TcpOptions.of(options));
        return kernel.receiveRaw(WirePacket.of(syn).emit());
    }

    private Tcb request() {
        return kernel.inspect(k -> k.established().find(new FourTuple(Endpoint.parse(TcpFixture.CLIENT), Endpoint.parse(TcpFixture.SERVER))));
    }

    @Test
    void synEndingInAnOptionOfLengthOne_isAnsweredWithSynAck_usingTheMssBeforeIt() {
        PacketReport report = rawSyn(new TcpOption.Mss(1000), new TcpOption.Malformed(new byte[] {8, 1, 0, 0}, "length 1"));

        assertThat(report.dropReason()).isNull();
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("S.");
        assertThat(request().peerMss()).isEqualTo(1000);
        assertThat(report.steps()).anySatisfy(step -> assertThat(step.detail()).contains("tcp_parse_options()"));
    }

    @Test
    void synWhoseLastOptionRunsPastTheHeader_isAnsweredToo_andTheOptionIsIgnored() {
        PacketReport report = rawSyn(new TcpOption.Mss(1200), new TcpOption.Malformed(new byte[] {3, 9, 7, 0}, "past the header"));

        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("S.");
        assertThat(request().peerMss()).isEqualTo(1200);
        assertThat(report.sentSegments().get(0).windowScale()).as("no window scale: the peer's was not read").isLessThan(0);
    }

    @Test
    void optionKindWithoutLengthByte_isAnsweredToo() {
        PacketReport report = rawSyn(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Nop(),
                new TcpOption.Malformed(new byte[] {2}, "no length byte"));

        assertThat(report.sentSegments()).hasSize(1);
        assertThat(request().peerMss()).as("no MSS read: the default").isEqualTo(536);
        assertThat(kernel.inspect(k -> k.nic().drops()).keySet()).doesNotContain(DropReason.TRUNCATED);
    }
}
