package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.wire.Segment;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The device's root qdisc as kernel settings: vkernel.qdisc_limit=0 (pfifo limit 0) drops everything TCP sends and
 * TCP keeps the data unsent, probing every TCP_RESOURCE_PROBE_INTERVAL; vkernel.qdisc=1 (fq) paces data packets.
 */
class QdiscTest {

    private static List<Segment> data(Peer peer) {
        return peer.received().stream().filter(s -> s.payload().length > 0).toList();
    }

    @Test
    void pfifoLimitZero_keepsTheDataUnsent_probesEvery500ms_andTheUserTimeoutEndsTheConnection() {
        TcpFixture t = new TcpFixture().established();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_USER_TIMEOUT", 2000, true));
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);
        t.write("lost at the qdisc");
        assertThat(data(t.peer)).isEmpty();
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_unacked", 0L).containsEntry("tcpi_ca_state", 2L);
        // the first probe after max(RTO, 200 ms); then one every 500 ms, none of them backing off
        t.kernel.advance(1_100);
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_probes")).isBetween(2L, 3L);
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_backoff", 0L);
        assertThat(data(t.peer)).isEmpty();
        t.kernel.advance(3_000);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        TcpFixture.assertErrno(t.write("too late"), Errno.ETIMEDOUT);
    }

    @Test
    void pfifoLimitZero_lifted_theNextProbeSendsWhatWaited() {
        TcpFixture t = new TcpFixture().established();
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);
        t.write("waits");
        t.kernel.advance(600);
        assertThat(data(t.peer)).isEmpty();
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 500);
        t.kernel.advance(500);
        assertThat(data(t.peer)).isNotEmpty(); // the probe, maybe an RTO retransmission after it (the peer is silent)
        assertThat(new String(data(t.peer).get(0).payload())).isEqualTo("waits");
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_probes", 0L);
    }

    @Test
    void qdiscSettings_takeOnlyTheirRanges() {
        Kernel kernel = new Kernel(KernelConfig.defaults("q", 1));
        assertThatThrownBy(() -> kernel.sysctl(Sysctls.VKERNEL_QDISC, 2)).hasMessageContaining("between 0 and 1");
        assertThatThrownBy(() -> kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, -1)).hasMessageContaining("between 0");
        assertThat(kernel.sysctls().get(Sysctls.VKERNEL_QDISC)).isZero();
        assertThat(kernel.sysctls().get(Sysctls.VKERNEL_QDISC_LIMIT)).isEqualTo(500);
    }
}
