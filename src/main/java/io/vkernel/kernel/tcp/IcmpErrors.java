package io.vkernel.kernel.tcp;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.IcmpMessage;
import io.vkernel.kernel.wire.Seq;

/**
 * What TCP does with an ICMP error about one of its segments, as Linux's {@code tcp_v4_err()} does: the quoted
 * sequence number must lie in [SND.UNA, SND.NXT] (else OutOfWindowIcmps, ignored); "fragmentation needed" lowers the
 * path MTU and resends at once what no longer fits ({@code tcp_v4_mtu_reduced()}, {@code tcp_simple_retransmit()});
 * the other unreachable codes, "time exceeded" and "parameter problem" become an errno ({@code icmp_err_convert[]})
 * that ends a connection still in SYN_SENT ({@code tcp_done_with_error()}) and is otherwise only remembered as the
 * soft error a later timeout reports ({@code sk_err_soft}, RFC 1122 §4.2.3.9); redirects and source quench change
 * nothing here. A request socket (SYN_RECV on a listener) is dropped by a fatal error quoting its ISN ({@code tcp_req_err()}).
 */
final class IcmpErrors {

    /** The harness's route: Ethernet's 1500 bytes. */
    static final int ROUTE_MTU = 1500;
    /** IP_PMTUDISC_DONT: the socket ignores path MTU discovery; IP_PMTUDISC_INTERFACE and _OMIT ignore ICMP MTUs. */
    private static final int PMTUDISC_DONT = 0;
    private static final int PMTUDISC_INTERFACE = 4;

    /** icmp_err_convert[]: the errno of each destination-unreachable code 0..15. */
    private static final Errno[] UNREACH_ERRNO = {Errno.ENETUNREACH, Errno.EHOSTUNREACH, Errno.ENOPROTOOPT, Errno.ECONNREFUSED,
            Errno.EMSGSIZE, Errno.EOPNOTSUPP, Errno.ENETUNREACH, Errno.EHOSTDOWN, Errno.ENONET, Errno.ENETUNREACH,
            Errno.EHOSTUNREACH, Errno.ENETUNREACH, Errno.EHOSTUNREACH, Errno.EHOSTUNREACH, Errno.EHOSTUNREACH, Errno.EHOSTUNREACH};

    private final TcpHost host;
    private final TcpStates states;
    private final ActiveOpen active;
    private final PassiveOpen passive;
    private final Routes routes;
    private final Recovery recovery;

    IcmpErrors(TcpHost host, TcpStates states, ActiveOpen active, PassiveOpen passive, Routes routes, Recovery recovery) {
        this.host = host;
        this.states = states;
        this.active = active;
        this.passive = passive;
        this.routes = routes;
        this.recovery = recovery;
    }

    /** tcp_v4_err() for the connection the quoted segment belongs to. */
    void icmpError(Tcb tcb, IcmpMessage icmp, PacketReport report) {
        int seq = icmp.quotedSeq();
        if (tcb.state == TcpState.TIME_WAIT || tcb.state == TcpState.CLOSE) {
            ignore(report, "the connection is in " + tcb.state + ": nothing to tell it");
            return;
        }
        if (tcb.state == TcpState.SYN_RECV && tcb.listener != null && !tcb.fastOpenChild) {
            requestError(tcb, icmp, report);
            return;
        }
        // tcp_v4_err(): for a Fast Open child still completing its handshake (tp->fastopen_rsk) the window's lower
        // edge is the SYN-ACK's ISN (snt_isn), not SND.UNA, which tcp_create_openreq_child() has not set to it yet
        int sndUna = tcb.fastOpenChild ? tcb.iss : tcb.sndUna;
        if (Seq.before(seq, sndUna) || Seq.after(seq, tcb.sndNxt)) {
            host.count(SnmpCounter.OUT_OF_WINDOW_ICMPS);
            ignore(report, "the quoted sequence number " + Seq.unsigned(seq) + " is outside [SND.UNA, SND.NXT] = ["
                    + Seq.unsigned(sndUna) + ", " + Seq.unsigned(tcb.sndNxt) + "]: a forged or stale message (OutOfWindowIcmps)");
            return;
        }
        Errno err;
        switch (icmp.type()) {
            case IcmpMessage.PARAMETER_PROBLEM -> err = Errno.EPROTO;
            case IcmpMessage.TIME_EXCEEDED -> err = Errno.EHOSTUNREACH;
            case IcmpMessage.DEST_UNREACH -> {
                if (icmp.code() > IcmpMessage.MAX_UNREACH_CODE) {
                    ignore(report, "destination unreachable code " + icmp.code() + " is beyond the 15 Linux knows");
                    return;
                }
                if (icmp.code() == IcmpMessage.FRAG_NEEDED) {
                    mtuReduced(tcb, icmp.mtu(), report);
                    return;
                }
                err = UNREACH_ERRNO[icmp.code()];
            }
            default -> {
                ignore(report, icmp.type() == IcmpMessage.REDIRECT ? "a redirect changes the route, not the connection"
                        : icmp.type() == IcmpMessage.SOURCE_QUENCH ? "source quench is ignored (RFC 6633)"
                        : "TCP takes no action on ICMP type " + icmp.type());
                return;
            }
        }
        if (tcb.state == TcpState.SYN_RECV && tcb.fastOpenChild && tcb.socket == null) {
            // tcp_v4_err(): a Fast Open child not yet accepted (fastopen_rsk->sk still set) is done with the error like
            // any opening connection; tcp_done() takes it off the hash tables, but it stays in the accept queue, so
            // accept() still returns it, with the SYN's data to read and then the error
            report.step("tcp.icmp", icmp.describe() + ": the Fast Open child not yet accepted is closed with " + err
                    + " (tcp_done_with_error()); it stays in the accept queue, its data readable, then read() fails with " + err);
            tcb.pendingError = err;
            states.closeTcb(tcb, "ICMP error before accept(): " + err);
            report.verdict("connection failed: " + err);
            return;
        }
        if (tcb.state == TcpState.SYN_SENT || (tcb.state == TcpState.SYN_RECV && !tcb.fastOpenChild)) {
            // tcp_done_with_error(): a connection still opening gives up at once
            report.step("tcp.icmp", icmp.describe() + ": connect() fails with " + err + " (tcp_done_with_error())");
            tcb.pendingError = err;
            states.closeTcb(tcb, "ICMP error during the handshake: " + err);
            report.verdict("connection failed: " + err);
            states.wakeOwner(tcb, report);
            return;
        }
        // RFC 1122 §4.2.3.9: on a connection, only a soft error, reported if it later times out (IP_RECVERR not modelled)
        tcb.softError = err;
        report.step("tcp.icmp", icmp.describe() + ": remembered as the soft error " + err
                + "; the connection keeps trying and reports it only if it times out");
        report.verdict("soft error " + err);
    }

    /**
     * tcp_v4_mtu_reduced(): the route learns the message's MTU (raised to 552 when smaller; not at all when the
     * route's MTU is locked), and every later connection to that peer starts from it (a route exception, Routes).
     * When that is below the MTU this connection used, its MSS shrinks (tcp_sync_mss()) and what no longer fits is
     * sent again at once (tcp_simple_retransmit()): in SYN_SENT the SYN, plain, and its data later; a SYN now
     * offers the smaller MSS (tcp_advertise_mss()).
     */
    private void mtuReduced(Tcb tcb, int mtu, PacketReport report) {
        int routeMtu = routes.learn(tcb.tuple().remote().address(), mtu);
        int pmtuDisc = tcb.socket == null ? 1 : tcb.socket.options().pmtuDisc;
        if (pmtuDisc == PMTUDISC_DONT || pmtuDisc >= PMTUDISC_INTERFACE || tcb.pmtu <= routeMtu) {
            ignore(report, "fragmentation needed, MTU " + mtu + ": the connection already uses " + tcb.pmtu
                    + (routes.mtuLocked() ? " and the route's MTU is locked (ip route ... mtu lock)" : "")
                    + (pmtuDisc == PMTUDISC_DONT || pmtuDisc >= PMTUDISC_INTERFACE ? " and IP_MTU_DISCOVER ignores path MTU discovery" : ""));
            return;
        }
        int priorMss = TcpSender.sendMss(tcb);
        tcb.mtup.dstMtu = routeMtu;
        MtuProbe.sync(tcb, routeMtu);
        if (tcb.state == TcpState.SYN_SENT) {
            tcb.advMss = Math.min(tcb.advMss, routeMtu - 40); // tcp_advertise_mss(): the route's advmss
        }
        int mss = TcpSender.sendMss(tcb);
        report.step("tcp.icmp", "fragmentation needed, MTU " + mtu + ": path MTU " + routeMtu + ", MSS " + priorMss + " -> " + mss
                + " (tcp_v4_mtu_reduced(), tcp_sync_mss())");
        if (tcb.state == TcpState.SYN_SENT && tcb.fastOpenSyn != null && tcb.fastOpenSyn.synData()) {
            // tcp_simple_retransmit(): a Fast Open SYN with data is taken as lost whole; the SYN leaves again plain
            report.step("tcp.icmp", "the SYN with data was too big: a plain SYN leaves now; the data follows the handshake");
            active.resendSyn(tcb, report);
            report.verdict("SYN resent for the smaller path MTU");
        } else if (tcb.state != TcpState.SYN_SENT && tcb.sndNxt != tcb.sndUna && recovery.simpleRetransmit(tcb, report)) {
            report.verdict("path MTU lowered to " + routeMtu + "; the segments too big for it resent");
        } else {
            report.verdict("path MTU lowered to " + routeMtu);
        }
    }

    /** tcp_req_err(): a request socket's ICMP error; fatal ones quoting its ISN drop it silently. */
    private void requestError(Tcb tcb, IcmpMessage icmp, PacketReport report) {
        if (icmp.quotedSeq() != tcb.iss) {
            host.count(SnmpCounter.OUT_OF_WINDOW_ICMPS);
            ignore(report, "the quoted sequence number is not the SYN-ACK's ISN " + Seq.unsigned(tcb.iss) + " (OutOfWindowIcmps)");
            return;
        }
        boolean abort = icmp.type() == IcmpMessage.PARAMETER_PROBLEM || icmp.type() == IcmpMessage.TIME_EXCEEDED
                || (icmp.type() == IcmpMessage.DEST_UNREACH && (icmp.code() == 0 || icmp.code() == 1));
        if (!abort) {
            ignore(report, "not a fatal error for a pending request");
            return;
        }
        report.step("tcp.icmp", icmp.describe() + ": the pending request is removed silently (tcp_req_err(): POSIX wants no "
                + "network error from accept())");
        host.count(SnmpCounter.LISTEN_DROPS);
        passive.dropRequest(tcb);
        report.verdict("request dropped");
    }

    private static void ignore(PacketReport report, String why) {
        report.drop(DropReason.ICMP_IGNORED, why);
    }
}
