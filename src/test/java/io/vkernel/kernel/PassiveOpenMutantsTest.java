package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * inet_csk_listen_stop() for a request still in SYN_RECV (PIT survivors in PassiveOpen.closeListener() and
 * dropRequest()): closing the listener removes the request from the established table, says so in the event log,
 * and stops its SYN-ACK retransmissions.
 */
class PassiveOpenMutantsTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void closingTheListener_dropsARequestInSynRecv_andItsSynAckIsNeverResent() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.send(TcpFlags.SYN, "");
        assertThat(t.state()).isEqualTo(TcpState.SYN_RECV);
        assertThat(t.peer.receivedFlags()).containsExactly("S.");

        done(t.kernel.close(t.pid, t.listenFd, new PacketReport(null)));

        assertThat(t.state()).as("gone from the established table").isEqualTo(TcpState.CLOSE);
        assertThat(t.stateEvents()).contains("SYN_RECV -> CLOSED: request removed from the established table");
        t.advanceSeconds(70);
        assertThat(t.peer.receivedFlags()).as("no SYN-ACK retransmission after the listener closed").containsExactly("S.");
    }

    @Test
    void aSynCookieHandshake_deliversTheDataOnItsAck_countsAndLogsIt_andTheConnectionCarriesMoreAfterAccept() {
        // tcp_syn_flood_action() then cookie_v4_check() / tcp_get_cookie_sock(): the child is created from the ACK alone
        done(t.kernel.setsockopt(t.pid, t.listenFd, "SO_KEEPALIVE", 1, true));
        done(t.kernel.listen(t.pid, t.listenFd, 0));
        new Peer(t.kernel, "192.168.1.100:1001", TcpFixture.SERVER).send(TcpFlags.SYN, "");
        Peer client = new Peer(t.kernel, "192.168.1.100:1002", TcpFixture.SERVER);
        PacketReport syn = client.send(TcpFlags.SYN, "");
        assertThat(syn.verdict()).isEqualTo("syn cookie");
        assertThat(TcpFixture.steps(syn, "tcp.syncookie")).singleElement().asString()
                .contains("Possible SYN flooding on port 8080. Sending cookies.").contains("(MSS 1460); no state is kept");
        assertThat(t.counter(SnmpCounter.SYNCOOKIES_SENT)).isEqualTo(1);

        PacketReport completing = client.data("hello");
        assertThat(completing.state()).isEqualTo("ESTABLISHED");
        assertThat(TcpFixture.steps(completing, "tcp.syncookie")).singleElement().asString()
                .contains("is a valid cookie (MSS 1460): the connection is created ESTABLISHED in the accept queue");
        assertThat(t.counter(SnmpCounter.SYNCOOKIES_RECV)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.TCP_PASSIVE_OPENS)).as("the first SYN's request is still in SYN_RECV").isEqualTo(1);
        assertThat(t.stateEvents()).contains("LISTEN -> ESTABLISHED: a valid SYN cookie completes the handshake");
        assertThat(client.lastReceived().ack()).as("the five bytes on the completing ACK are acknowledged")
                .isEqualTo(client.sndNxt());

        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        assertThat(TcpFixture.text(t.read())).isEqualTo("hello");
        client.data(" world");
        assertThat(TcpFixture.text(t.read())).as("later segments find the child in the established table").isEqualTo(" world");

        int before = client.received().size();
        t.advanceSeconds(7200 + 1);
        assertThat(client.received().subList(before, client.received().size()))
                .as("SO_KEEPALIVE inherited from the listener: one probe after tcp_keepalive_time")
                .singleElement().satisfies(probe -> assertThat(probe.seq()).isEqualTo(client.rcvNxt() - 1));
    }
}
