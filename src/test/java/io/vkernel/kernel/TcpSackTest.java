package io.vkernel.kernel;

import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The receiver's SACK blocks (RFC 2018) and D-SACK (RFC 2883), and the sysctls that turn them off. */
class TcpSackTest {

    private final TcpFixture t = new TcpFixture();

    private void establishedWithSack() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.sackOk = true;
        t.peer.connect();
        t.fd = (int) TcpFixture.done(t.kernel.accept(t.pid, t.listenFd)).ret();
    }

    /** The SACK blocks of a segment as {start, end} pairs relative to base, in the order sent. */
    private static List<String> blocks(Segment segment, int base) {
        List<String> out = new ArrayList<>();
        for (TcpOption option : segment.options().list()) {
            if (option instanceof TcpOption.Unknown u && u.kind() == 5) {
                ByteBuffer b = ByteBuffer.wrap(u.value());
                while (b.remaining() >= 8) {
                    out.add((b.getInt() - base) + ":" + (b.getInt() - base));
                }
            }
        }
        return out;
    }

    private PacketReport dataAt(int base, int from, int to) {
        return t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, base + from, t.peer.rcvNxt(), "x".repeat(to - from));
    }

    @Test
    void established_outOfOrderSegments_areSackedNewestFirst_andMergeAsHolesFill() {
        establishedWithSack();
        int base = t.peer.sndNxt();
        assertThat(blocks(dataAt(base, 100, 200).sentSegments().get(0), base)).containsExactly("100:200");
        assertThat(blocks(dataAt(base, 300, 400).sentSegments().get(0), base)).containsExactly("300:400", "100:200");
        assertThat(blocks(dataAt(base, 500, 600).sentSegments().get(0), base)).containsExactly("500:600", "300:400", "100:200");
        assertThat(blocks(dataAt(base, 200, 300).sentSegments().get(0), base)).as("200:300 bridges two blocks")
                .containsExactly("100:400", "500:600");
        Segment filled = dataAt(base, 0, 100).sentSegments().get(0);
        assertThat(filled.ack() - base).isEqualTo(400);
        assertThat(blocks(filled, base)).containsExactly("500:600");
    }

    @Test
    void established_moreHolesThanFit_keepsTheFourNewestBlocks() {
        establishedWithSack();
        int base = t.peer.sndNxt();
        Segment ack = null;
        for (int i = 1; i <= 5; i++) {
            ack = dataAt(base, i * 100, i * 100 + 50).sentSegments().get(0);
        }
        assertThat(blocks(ack, base)).containsExactly("500:550", "400:450", "300:350", "200:250");
    }

    @Test
    void established_duplicateBelowRcvNxt_isReportedOnceAsDsack() {
        establishedWithSack();
        int base = t.peer.sndNxt();
        t.peer.data("y".repeat(100));
        Segment dup = dataAt(base, 0, 100).sentSegments().get(0);
        assertThat(blocks(dup, base)).containsExactly("0:100");
        Segment next = t.peer.data("z").sentSegments().get(0);
        assertThat(blocks(next, base)).as("a D-SACK is sent once").isEmpty();
    }

    @Test
    void tcpDsackOff_duplicatesAreNotReported() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_DSACK, 0);
            return null;
        });
        establishedWithSack();
        int base = t.peer.sndNxt();
        t.peer.data("y".repeat(100));
        assertThat(blocks(dataAt(base, 0, 100).sentSegments().get(0), base)).isEmpty();
    }

    @Test
    void tcpSackOff_synAckOffersNoSack_andGapsGetPlainDuplicateAcks() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_SACK, 0);
            return null;
        });
        establishedWithSack();
        Segment synAck = t.peer.received().get(0);
        assertThat(synAck.options().list()).noneMatch(o -> o instanceof TcpOption.SackPermitted);
        assertThat(t.tcb().sackOk()).isFalse();
        int base = t.peer.sndNxt();
        Segment dupAck = dataAt(base, 100, 200).sentSegments().get(0);
        assertThat(dupAck.options().list()).isEmpty();
        assertThat(dupAck.ack()).isEqualTo(base);
    }
}
