package io.vkernel.kernel.demux;

import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.wire.Endpoint;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The listening table's membership test (what the fd-chain and lsof views ask before naming a listener's entry) and
 * a bind() search's probe as an owner of a port: a would-be owner that does not listen, so SO_REUSEADDR sockets may
 * share the port with it (inet_bind_conflict()).
 */
class DemuxTablesTest {

    private static Socket boundTo(long inode, String local) {
        Socket socket = new Socket(inode);
        socket.bindTo(Endpoint.parse(local));
        return socket;
    }

    @Test
    void theListeningTable_containsOnlyTheSocketListedUnderItsAddress() {
        ListenerTable table = new ListenerTable();
        Socket listener = boundTo(1, "0.0.0.0:80");
        Socket sameAddress = boundTo(2, "0.0.0.0:80");
        Socket exact = boundTo(3, "10.0.0.50:80");
        assertThat(table.contains(listener)).as("empty table").isFalse();
        table.add(listener);
        assertThat(table.contains(listener)).isTrue();
        assertThat(table.contains(sameAddress)).as("the same address, another socket").isFalse();
        assertThat(table.contains(exact)).isFalse();
        table.remove(sameAddress);
        assertThat(table.contains(listener)).as("removing another socket leaves it listed").isTrue();
        table.remove(listener);
        assertThat(table.contains(listener)).isFalse();
    }

    @Test
    void aProbeHoldingAPort_isNotListening_soReuseaddrSocketsShareItsPort() {
        BindTable table = new BindTable();
        Endpoint port = Endpoint.parse("0.0.0.0:5000");
        table.add(new BindTable.Probe(port, true));
        assertThat(new BindTable.Probe(port, true).listening()).isFalse();
        assertThat(table.conflicts(new BindTable.Probe(port, true))).as("both SO_REUSEADDR, the holder not listening").isFalse();
        assertThat(table.conflicts(new BindTable.Probe(port, false))).isTrue();
    }
}
