package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.proc.SocketQueues;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpInfo;
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
        return render(kernel, false);
    }

    /**
     * With {@code info}, {@code ss -tani}: each connection's row is followed by its TCP_INFO line as iproute2's
     * tcp_show_info() prints it (options, algorithm, wscale, rto, rtt/rttvar in ms, mss, cwnd, ssthresh once it is
     * below 0xFFFF, bytes, unacked, retrans:now/total, lost, sacked, rcv_space).
     */
    static String render(Kernel kernel, boolean info) {
        if (info) {
            StringBuilder out = new StringBuilder();
            String[] lines = render(kernel, false).split("\n", -1);
            int listeners = kernel.listeners().all().size();
            out.append(lines[0]).append('\n');
            int row = 1;
            for (; row <= listeners && row < lines.length; row++) {
                out.append(lines[row]).append('\n');
            }
            for (Tcb tcb : kernel.established().all()) {
                if (row < lines.length) {
                    out.append(lines[row++]).append('\n');
                }
                if (tcb.state().isSynchronized() && tcb.state() != io.vkernel.kernel.tcp.TcpState.TIME_WAIT) {
                    out.append('\t').append(infoLine(tcb)).append('\n');
                }
            }
            return out.toString();
        }
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
        // indexing 100 000 FDs under the lock held it for hundreds of ms on a busy machine (LockHoldBench): copy
        // the FD tables in one turn, index them outside, then the listeners' rows in another turn
        Map<Socket, List<SocketFacts.Holder>> holders = SocketFacts.holders(LockTurns.turn(kernel, SocketFacts::fdSnapshots));
        LockTurns.turn(kernel, k -> {
            listenerRows(table, k, holders);
            return null;
        });
        List<Tcb> all = InspectController.allConnections(kernel);
        for (int from = 0; from < all.size(); from += chunk) {
            List<Tcb> part = all.subList(from, Math.min(all.size(), from + chunk));
            LockTurns.turn(kernel, k -> {
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
        Socket file = SocketQueues.fileSocket(tcb);
        table.row(tcb.state().ssName(), String.valueOf(SocketQueues.recvQ(tcb)), String.valueOf(SocketQueues.sendQ(tcb)),
                Ipv4.format(local.address()) + ":", String.valueOf(local.port()),
                Ipv4.format(remote.address()) + ":", String.valueOf(remote.port()),
                SocketFacts.ssUsers(file == null ? List.of() : holders.getOrDefault(file, List.of())));
    }

    /** One connection's ss -i line, from the same TCP_INFO getsockopt() returns. */
    static String infoLine(Tcb tcb) {
        Map<String, Long> i = TcpInfo.of(tcb);
        StringBuilder s = new StringBuilder();
        long options = i.get("tcpi_options");
        if ((options & 1) != 0) {
            s.append(" ts");
        }
        if ((options & 2) != 0) {
            s.append(" sack");
        }
        if ((options & 8) != 0) {
            s.append(" ecn"); // iproute2's tcp_show_info(): TCPI_OPT_ECN, then TCPI_OPT_ECN_SEEN
        }
        if ((options & 16) != 0) {
            s.append(" ecnseen");
        }
        s.append(' ').append(tcb.congestionControl());
        if ((options & 4) != 0) {
            s.append(" wscale:").append(i.get("tcpi_snd_wscale")).append(',').append(i.get("tcpi_rcv_wscale"));
        }
        s.append(" rto:").append(ms(i.get("tcpi_rto")));
        if (i.get("tcpi_backoff") > 0) {
            s.append(" backoff:").append(i.get("tcpi_backoff"));
        }
        if (i.get("tcpi_rtt") > 0) {
            s.append(" rtt:").append(ms(i.get("tcpi_rtt"))).append('/').append(ms(i.get("tcpi_rttvar")));
        }
        s.append(" ato:").append(ms(i.get("tcpi_ato")));
        s.append(" mss:").append(i.get("tcpi_snd_mss")).append(" pmtu:").append(i.get("tcpi_pmtu"));
        s.append(" advmss:").append(i.get("tcpi_advmss")).append(" cwnd:").append(i.get("tcpi_snd_cwnd"));
        if (i.get("tcpi_snd_ssthresh") < 0xFFFF) {
            s.append(" ssthresh:").append(i.get("tcpi_snd_ssthresh"));
        }
        if (i.get("tcpi_bytes_acked") > 0) {
            s.append(" bytes_acked:").append(i.get("tcpi_bytes_acked"));
        }
        if (i.get("tcpi_bytes_received") > 0) {
            s.append(" bytes_received:").append(i.get("tcpi_bytes_received"));
        }
        if (i.get("tcpi_unacked") > 0) {
            s.append(" unacked:").append(i.get("tcpi_unacked"));
        }
        if (i.get("tcpi_retransmits") > 0 || i.get("tcpi_total_retrans") > 0) {
            s.append(" retrans:").append(i.get("tcpi_retransmits")).append('/').append(i.get("tcpi_total_retrans"));
        }
        if (i.get("tcpi_lost") > 0) {
            s.append(" lost:").append(i.get("tcpi_lost"));
        }
        if (i.get("tcpi_sacked") > 0) {
            s.append(" sacked:").append(i.get("tcpi_sacked"));
        }
        s.append(" rcv_space:").append(i.get("tcpi_rcv_space"));
        return s.toString().strip();
    }

    /** ss prints times in ms with %g: 204, 0.25, 100.5. */
    private static String ms(long micros) {
        if (micros % 1000 == 0) {
            return String.valueOf(micros / 1000);
        }
        return java.math.BigDecimal.valueOf(micros, 3).stripTrailingZeros().toPlainString();
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
