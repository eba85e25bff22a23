package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;

/**
 * Explicit Congestion Notification (RFC 3168) as Linux's classic ECN does it (net/ipv4/tcp_input.c,
 * tcp_output.c, include/net/tcp_ecn.h): net.ipv4.tcp_ecn 1 asks for ECN on outgoing connections and accepts it on
 * incoming ones, 2 (Linux's default) only accepts it, 0 neither. An ECN-setup SYN carries ECE and CWR, its SYN-ACK
 * ECE alone; then new data goes out ECT(0) in the IP header, a CE mark on arriving data is echoed with ECE on every
 * segment until the sender's CWR, and an ECE that arrives makes this side reduce cwnd once per window (CWR state,
 * tcp_enter_cwr()) and say so with CWR on its next new data.
 */
public final class Ecn {

    /** tp->ecn_flags (include/net/tcp_ecn.h). */
    static final int OK = 1;
    static final int QUEUE_CWR = 2;
    static final int DEMAND_CWR = 4;
    static final int SEEN = 8;

    /** The IPv4 ECN field, the TOS byte's two low bits (RFC 3168 §5). */
    public static final int NOT_ECT = 0;
    public static final int ECT1 = 1;
    public static final int ECT0 = 2;
    public static final int CE = 3;
    public static final int MASK = 3;

    /** tcpi_options bits (include/uapi/linux/tcp.h). */
    static final long TCPI_OPT_ECN = 8;
    static final long TCPI_OPT_ECN_SEEN = 16;

    private Ecn() {
    }

    /**
     * tcp_ecn_send_syn(): with net.ipv4.tcp_ecn 1 the first SYN carries ECE and CWR and the connection hopes for
     * ECN; tcp_ecn_clear_syn(): a retransmitted SYN goes without them while net.ipv4.tcp_ecn_fallback is on, in
     * case a middlebox drops ECN-setup SYNs.
     */
    static Segment syn(Tcb tcb, Segment syn, Sysctls sysctls) {
        if (tcb.synRetries == 0) {
            long mode = sysctls.get(Sysctls.TCP_ECN);
            tcb.ecnFlags = mode == 1 || mode == 4 ? OK : 0; // 4: accept AccECN, ask for classic ECN
        }
        if ((tcb.ecnFlags & OK) == 0 || (tcb.synRetries > 0 && sysctls.get(Sysctls.TCP_ECN_FALLBACK) != 0)) {
            return syn;
        }
        return withFlags(syn, syn.flags() | TcpFlags.ECE | TcpFlags.CWR);
    }

    /** tcp_ecn_rcv_synack(): ECN holds only if the SYN-ACK has ECE without CWR. */
    static void synAck(Tcb tcb, Segment synAck, PacketReport report) {
        if ((tcb.ecnFlags & OK) != 0 && (!synAck.has(TcpFlags.ECE) || synAck.has(TcpFlags.CWR))) {
            tcb.ecnFlags &= ~OK;
            report.step("tcp.ecn", "the SYN-ACK has no ECE (or ECE with CWR): ECN is off for this connection");
        } else if ((tcb.ecnFlags & OK) != 0) {
            report.step("tcp.ecn", "the SYN-ACK has ECE: ECN is on (RFC 3168 §6.1.1), new data goes out ECT(0)");
        }
    }

    /**
     * tcp_ecn_create_request(): a SYN with ECE and CWR whose IP header is not ECT asks for ECN; any
     * net.ipv4.tcp_ecn but 0 accepts. The request (and the child it becomes, tcp_ecn_openreq_child()) is ECN-capable.
     */
    static void request(Tcb request, Segment syn, Sysctls sysctls, PacketReport report) {
        request.ecnFlags = 0;
        if (!syn.has(TcpFlags.ECE) || !syn.has(TcpFlags.CWR)) {
            return;
        }
        boolean ect = (syn.tos() & MASK) != NOT_ECT;
        if (!ect && sysctls.get(Sysctls.TCP_ECN) != 0) {
            request.ecnFlags = OK;
            report.step("tcp.ecn", "ECN-setup SYN (ECE and CWR): accepted, the SYN-ACK carries ECE");
        } else {
            report.step("tcp.ecn", ect ? "ECN-setup SYN sent ECT: a broken sender, ECN stays off"
                    : "ECN-setup SYN, but net.ipv4.tcp_ecn=0: ECN stays off");
        }
    }

    /** tcp_ecn_make_synack(): an ECN-capable request answers with ECE. */
    static int synAckFlags(Tcb tcb, int flags) {
        return (tcb.ecnFlags & OK) != 0 && (flags & TcpFlags.SYN) != 0 ? flags | TcpFlags.ECE : flags;
    }

    /**
     * tcp_ecn_send()'s IP half: new data of an ECN connection goes ECT(0) (INET_ECN_xmit()); ACKs, FINs without
     * data and retransmissions go Not-ECT (INET_ECN_dontxmit()), so a router never marks what it cannot help.
     */
    static int tos(Tcb tcb, int tos, int flags, int seq, int length) {
        if ((tcb.ecnFlags & OK) == 0 || (flags & TcpFlags.SYN) != 0) {
            return tos;
        }
        return (tos & ~MASK) | (length > 0 && !io.vkernel.kernel.wire.Seq.before(seq, tcb.sndNxt) ? ECT0 : NOT_ECT);
    }

    /**
     * tcp_ecn_send()'s TCP half: the first new data after a reduction carries CWR (TCP_ECN_QUEUE_CWR), and every
     * segment carries ECE while the peer has not yet answered a CE mark with CWR (TCP_ECN_DEMAND_CWR).
     */
    static int flags(Tcb tcb, int flags, int seq, int length) {
        if ((tcb.ecnFlags & OK) == 0 || (flags & TcpFlags.SYN) != 0) {
            return flags;
        }
        if (length > 0 && !io.vkernel.kernel.wire.Seq.before(seq, tcb.sndNxt) && (tcb.ecnFlags & QUEUE_CWR) != 0) {
            tcb.ecnFlags &= ~QUEUE_CWR;
            flags |= TcpFlags.CWR;
        }
        if ((tcb.ecnFlags & DEMAND_CWR) != 0) {
            flags |= TcpFlags.ECE;
        }
        return flags;
    }

    /**
     * tcp_ecn_accept_cwr() and tcp_ecn_check_ce() for a segment with data: CWR ends the echo; CE starts it (and
     * quick ACKs, the sender may have a tiny cwnd); ECT of either kind is ECN seen.
     */
    static void dataReceived(Tcb tcb, Segment segment, PacketReport report) {
        if ((tcb.ecnFlags & OK) == 0) {
            return;
        }
        if (segment.has(TcpFlags.CWR) && (tcb.ecnFlags & DEMAND_CWR) != 0) {
            tcb.ecnFlags &= ~DEMAND_CWR;
            report.step("tcp.ecn", "CWR: the peer reduced its window, ECE echoing stops");
        }
        switch (segment.tos() & MASK) {
            case CE -> {
                if ((tcb.ecnFlags & DEMAND_CWR) == 0) {
                    tcb.ecnFlags |= DEMAND_CWR;
                    quickAck(tcb);
                    report.step("tcp.ecn", "CE: a router on the path is congested; every segment now echoes ECE until the "
                            + "peer sends CWR");
                }
                tcb.ecnFlags |= SEEN;
            }
            case ECT0, ECT1 -> tcb.ecnFlags |= SEEN;
            default -> {
                if ((tcb.ecnFlags & SEEN) != 0) {
                    quickAck(tcb); // Not-ECT after ECT: probably a retransmission
                }
            }
        }
    }

    /** tcp_enter_quickack_mode(sk, 2): the next two ACKs are not delayed, pingpong mode ends. */
    private static void quickAck(Tcb tcb) {
        tcb.quickAcks = Math.max(tcb.quickAcks, 2);
        tcb.pingpong = false;
    }

    /** tcp_ecn_rcv_ecn_echo(): an ACK (not a SYN) with ECE on an ECN connection (FLAG_ECE). */
    static boolean echoed(Tcb tcb, Segment segment) {
        return segment.has(TcpFlags.ECE) && !segment.has(TcpFlags.SYN) && (tcb.ecnFlags & OK) != 0;
    }

    /** TCPI_OPT_ECN and TCPI_OPT_ECN_SEEN for tcpi_options. */
    static long infoOptions(Tcb tcb) {
        return ((tcb.ecnFlags & OK) != 0 ? TCPI_OPT_ECN : 0) | ((tcb.ecnFlags & SEEN) != 0 ? TCPI_OPT_ECN_SEEN : 0);
    }

    private static Segment withFlags(Segment s, int flags) {
        return new Segment(s.src(), s.dst(), flags, s.seq(), s.ack(), s.window(), s.mss(), s.payload(), s.options(), s.tos());
    }
}
