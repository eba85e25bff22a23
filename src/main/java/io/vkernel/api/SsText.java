package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Ipv4;

import java.util.List;
import java.util.Map;

import static io.vkernel.api.TextColumns.Align.LEFT;
import static io.vkernel.api.TextColumns.Align.RIGHT;

/**
 * The sockets as {@code ss -tanp} prints them into a pipe (iproute2 6.x): listeners first, then the established
 * table bucket by bucket, as inet_diag walks them. For a listener Recv-Q is the accept queue's length and Send-Q
 * the backlog; for a connection Recv-Q is the unread bytes and Send-Q the unacknowledged ones (a FIN counts one).
 * The Process column names every FD that refers to the socket; connections waiting in an accept queue, orphans,
 * TIME-WAIT and SYN-RECV have none.
 */
final class SsText {

    private SsText() {
    }

    /** The listeners alone, as {@code ss -ltnp} prints them. */
    static String listeners(Kernel kernel) {
        TextColumns table = table();
        listenerRows(table, kernel, SocketFacts.holders(kernel));
        return table.render();
    }

    static String render(Kernel kernel) {
        TextColumns table = table();
        Map<Socket, List<SocketFacts.Holder>> holders = SocketFacts.holders(kernel);
        listenerRows(table, kernel, holders);
        for (Tcb tcb : kernel.established().all()) {
            connectionRow(table, tcb, holders);
        }
        return table.render();
    }

    /**
     * The same table, built without holding the kernel lock for long: who holds which socket and the listeners in one
     * step (as ss reads /proc/PID/fd before it dumps sockets), then the connections {@code chunk} at a time, each chunk
     * under the lock and skipping any connection gone since the walk began (as inet_diag dumps a bucket at a time).
     * The text is laid out once all rows are in, outside the lock.
     */
    static String render(Kernel kernel, int chunk) {
        TextColumns table = table();
        Map<Socket, List<SocketFacts.Holder>> holders = kernel.inspect(k -> {
            Map<Socket, List<SocketFacts.Holder>> index = SocketFacts.holders(k);
            listenerRows(table, k, index);
            return index;
        });
        List<Tcb> all = kernel.inspect(k -> k.established().all());
        for (int from = 0; from < all.size(); from += chunk) {
            List<Tcb> part = all.subList(from, Math.min(all.size(), from + chunk));
            kernel.inspect(k -> {
                for (Tcb tcb : part) {
                    if (k.established().find(tcb.tuple()) == tcb) {
                        connectionRow(table, tcb, holders);
                    }
                }
                return null;
            });
        }
        return table.render();
    }

    private static void connectionRow(TextColumns table, Tcb tcb, Map<Socket, List<SocketFacts.Holder>> holders) {
        Endpoint local = tcb.tuple().local();
        Endpoint remote = tcb.tuple().remote();
        Socket file = SocketFacts.fileSocket(tcb);
        table.row(tcb.state().ssName(), String.valueOf(SocketFacts.recvQ(tcb)), String.valueOf(SocketFacts.sendQ(tcb)),
                Ipv4.format(local.address()) + ":", String.valueOf(local.port()),
                Ipv4.format(remote.address()) + ":", String.valueOf(remote.port()),
                SocketFacts.ssUsers(file == null ? List.of() : holders.getOrDefault(file, List.of())));
    }

    private static TextColumns table() {
        return new TextColumns(true,
                new TextColumns.Column("State", LEFT, ""),
                new TextColumns.Column("Recv-Q", LEFT, " "),
                new TextColumns.Column("Send-Q", LEFT, " "),
                new TextColumns.Column("Local Address:", RIGHT, " "),
                new TextColumns.Column("Port", LEFT, ""),
                new TextColumns.Column("Peer Address:", RIGHT, " "),
                new TextColumns.Column("Port", LEFT, ""),
                new TextColumns.Column("Process", LEFT, ""));
    }

    private static void listenerRows(TextColumns table, Kernel kernel, Map<Socket, List<SocketFacts.Holder>> holders) {
        for (Socket listener : kernel.listeners().all()) {
            Endpoint local = listener.local();
            table.row("LISTEN", String.valueOf(listener.acceptQueue().size()), String.valueOf(listener.backlog()),
                    Ipv4.format(local.address()) + ":", String.valueOf(local.port()), "0.0.0.0:", "*",
                    SocketFacts.ssUsers(holders.getOrDefault(listener, List.of())));
        }
    }
}
