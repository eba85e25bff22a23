package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;

import java.util.List;

/**
 * Accurate ECN (RFC 9768) as Linux 6.18 does it (include/net/tcp_ecn.h, net/ipv4/tcp_input.c, tcp_output.c). With
 * net.ipv4.tcp_ecn 3 a SYN asks for it with AE, CWR and ECE; 3, 4 and 5 accept it on incoming connections. The SYN-ACK
 * and the handshake's last ACK reflect, in their ACE field (AE, CWR, ECE), the IP ECN field the SYN and the SYN-ACK
 * arrived with. Afterwards every segment goes out ECT(0) and carries in ACE the count of CE-marked segments received
 * plus 5, modulo 8, and, while the peer shows it sees it, the AccECN option with 24-bit counts of the ECT(1), CE and
 * ECT(0) payload bytes received. The sender learns from the peer's ACE and option how many of its segments and bytes
 * were CE-marked: tcpi_delivered_ce and the tcpi_delivered_*_bytes of TCP_INFO.
 *
 * <p>One object per connection that negotiates (or, as a client, asks for) AccECN, held in {@link Tcb#accEcn}; classic
 * RFC 3168 ECN stays in {@link Ecn}.
 */
public final class AccEcn {

    /** TCPOPT_ACCECN0 (fields ECT(0), CE, ECT(1)) and TCPOPT_ACCECN1 (ECT(1), CE, ECT(0)), RFC 9768 §3.2.3. */
    public static final int KIND_ACCECN0 = 172;
    public static final int KIND_ACCECN1 = 174;

    /** TCP_ACCECN_CEP_INIT_OFFSET: the ACE field starts at 5 so that a zeroed field is noticed. */
    static final int CEP_INIT = 5;
    /** TCP_ACCECN_E1B_INIT_OFFSET, TCP_ACCECN_E0B_INIT_OFFSET (CEB starts at 0). */
    static final int E1B_INIT = 1;
    static final int E0B_INIT = 1;

    /** tp->accecn_fail_mode bits. */
    static final int ACE_FAIL_SEND = 1;
    static final int ACE_FAIL_RECV = 2;
    static final int OPT_FAIL_SEND = 4;
    static final int OPT_FAIL_RECV = 8;

    /** tp->saw_accecn_opt. */
    static final int OPT_NOT_SEEN = 0;
    static final int OPT_EMPTY_SEEN = 1;
    static final int OPT_COUNTER_SEEN = 2;
    static final int OPT_FAIL_SEEN = 3;

    /** PKTS_ACKED_PREC, PKTS_ACKED_WEIGHT, ACK_COMP_THRESH of __tcp_accecn_process(). */
    private static final int PKTS_ACKED_PREC = 6;
    private static final int PKTS_ACKED_WEIGHT = 6;
    private static final int ACK_COMP_THRESH = 4;

    /** false while a client waits for the SYN-ACK (TCP_ECN_MODE_PENDING), true once AccECN holds. */
    boolean on;
    /** tp->received_ce: CE-marked segments received (the ACE field sends it plus 5). */
    int receivedCe;
    /** tp->received_ecn_bytes, indexed by IP ECN field - 1: ECT(1), ECT(0), CE payload bytes received. */
    final long[] receivedBytes = new long[3];
    /** tp->delivered_ce: our segments the peer reported CE-marked. */
    int deliveredCe;
    /** tp->delivered_ecn_bytes, indexed as receivedBytes: what the peer's option reported of our bytes. */
    final long[] deliveredBytes = new long[3];
    int sawOpt = OPT_NOT_SEEN;
    int failMode;
    /** tp->accecn_minlen: the fields the next option must carry to report what changed (1 ECT(1), 2 CE, 3 ECT(0)). */
    int minLen;
    /** tp->accecn_opt_demand: options owed after an ECN field change or CE (sysctl tcp_ecn_option 1). */
    int optDemand;
    int prevEcnField;
    int synEctRcv;
    int synEctSnt;
    int estEcnField;
    int pktsAckedEwma;
    long optSentAtMs;
    /** tp->accecn_opt_sent_w_dsack: the last segment sent carried the option next to a D-SACK block. */
    boolean optSentWithDsack;
    /** An ACE value the next segment carries instead of the counter: the 3rd ACK and a challenge ACK reflect a SYN's ECN field. */
    int reflect = -1;
    /** ICSK_ACK_NOW from an ECN field change: the next data is ACKed at once. */
    boolean ackNow;
    /** SYN-ACKs sent for this request: the first carries the option, the first two the ACE reflector. */
    int synAcks;

    /** The kernel's sysctls, for tcp_ecn_option and tcp_ecn_option_beacon, which may change during the connection. */
    private final Sysctls sysctls;

    AccEcn(boolean on, Sysctls sysctls) {
        this.on = on;
        this.sysctls = sysctls;
    }

    /** tcp_accecn_ace(): AE, CWR and ECE as a number 0-7. */
    static int ace(int flags) {
        return ((flags & TcpFlags.AE) != 0 ? 4 : 0) | ((flags & TcpFlags.CWR) != 0 ? 2 : 0) | ((flags & TcpFlags.ECE) != 0 ? 1 : 0);
    }

    static int aceFlags(int ace) {
        return ((ace & 4) != 0 ? TcpFlags.AE : 0) | ((ace & 2) != 0 ? TcpFlags.CWR : 0) | ((ace & 1) != 0 ? TcpFlags.ECE : 0);
    }

    /** tcp_accecn_reflector_flags(): the ACE a SYN-ACK or 3rd ACK answers an IP ECN field with (RFC 9768 Table 2). */
    static int reflector(int ecnField) {
        return switch (ecnField & Ecn.MASK) {
            case Ecn.ECT1 -> 0b011;
            case Ecn.ECT0 -> 0b100;
            case Ecn.CE -> 0b110;
            default -> 0b010;
        };
    }

    /** tcp_accecn_extract_syn_ect(): the IP ECN field a reflected ACE says our SYN (or SYN-ACK) arrived with. */
    private static int extractSynEct(int ace) {
        return switch (ace & 7) {
            case 0b010 -> Ecn.NOT_ECT;
            case 0b100, 0b000 -> Ecn.ECT0;
            case 0b110 -> Ecn.CE;
            default -> Ecn.ECT1;
        };
    }

    /** tcp_ect_transition_valid(): the path may mark ECT as CE, nothing else. */
    private static boolean transitionValid(int sent, int received) {
        if (received == sent) {
            return true;
        }
        if (sent == Ecn.NOT_ECT || received == Ecn.NOT_ECT) {
            return false;
        }
        return sent != Ecn.CE;
    }

    private boolean validateSynFeedback(int ace, int sentEct, Sysctls sysctls) {
        if (sysctls.get(Sysctls.TCP_ECN_FALLBACK) == 0) {
            return true;
        }
        if (!transitionValid(sentEct, extractSynEct(ace))) {
            failMode |= ACE_FAIL_RECV;
            return false;
        }
        return true;
    }

    // ------------------------------------------------------------------ negotiation

    /**
     * tcp_ecn_send_syn(): net.ipv4.tcp_ecn 3 asks for AccECN with AE, CWR and ECE on the SYN (pending until the
     * SYN-ACK); tcp_ecn_clear_syn(): with tcp_ecn_fallback on, the second retransmission goes without them.
     */
    static Segment syn(Tcb tcb, Segment syn, Sysctls sysctls) {
        if (tcb.synRetries == 0) {
            tcb.accEcn = sysctls.get(Sysctls.TCP_ECN) == 3 ? new AccEcn(false, sysctls) : null;
            if (tcb.accEcn != null) {
                tcb.accEcn.synEctSnt = syn.tos() & Ecn.MASK;
            }
        }
        if (tcb.accEcn == null || tcb.accEcn.on || (tcb.synRetries >= 2 && sysctls.get(Sysctls.TCP_ECN_FALLBACK) != 0)) {
            return syn;
        }
        return withFlags(syn, syn.flags() | TcpFlags.ECE | TcpFlags.CWR | TcpFlags.AE);
    }

    /**
     * tcp_ecn_rcv_synack() for a client that asked for AccECN (RFC 9768 Table 2): ACE 000 (no ECN) or 111 (broken)
     * turns ECN off, 001 means a classic ECN server, anything else is AccECN, whose 3rd ACK reflects the SYN-ACK's IP
     * ECN field. Returns false when the SYN-ACK fell back to classic ECN, which {@link Ecn#synAck} then handles.
     */
    static boolean synAck(Tcb tcb, Segment synAck, Sysctls sysctls, PacketReport report) {
        AccEcn a = tcb.accEcn;
        int ace = ace(synAck.flags());
        switch (ace) {
            case 0, 7 -> {
                tcb.accEcn = null;
                tcb.ecnFlags = 0;
                report.step("tcp.accecn", ace == 0 ? "the SYN-ACK's ACE is 000: the server does not do ECN, ECN is off"
                        : "the SYN-ACK's ACE is 111: a broken server, ECN is off (RFC 9768 §3.1.2)");
            }
            case 1 -> {
                tcb.accEcn = null;
                tcb.ecnFlags = Ecn.OK;
                report.step("tcp.accecn", "the SYN-ACK has ECE alone: a classic ECN server, RFC 3168 feedback");
            }
            default -> {
                a.on = true;
                a.synEctRcv = synAck.tos() & Ecn.MASK;
                a.reflect = reflector(a.synEctRcv);
                TcpOption option = option(synAck);
                if (option != null && a.sawOpt < OPT_COUNTER_SEEN) {
                    a.sawOpt(optionInit(option));
                    a.optDemand = 2;
                }
                if (a.synEctRcv == Ecn.CE && a.validateSynFeedback(ace, a.synEctSnt, sysctls)) {
                    a.receivedCe++;
                }
                report.step("tcp.accecn", () -> "the SYN-ACK's ACE is " + Integer.toBinaryString(8 | ace).substring(1)
                        + ": Accurate ECN is on (RFC 9768); the ACK reflects the SYN-ACK's IP ECN field in its ACE");
            }
        }
        return tcb.accEcn != null || tcb.ecnFlags == 0;
    }

    /**
     * tcp_ecn_create_request(): a SYN whose ACE is neither 000 nor 011 asks for AccECN (RFC 9768 §3.1.2), which
     * net.ipv4.tcp_ecn 3, 4 and 5 accept; the IP ECN field it came with is reflected by the SYN-ACK. Returns false
     * when classic ECN ({@link Ecn#request}) decides.
     */
    static boolean request(Tcb request, Segment syn, Sysctls sysctls, PacketReport report) {
        request.accEcn = null;
        int ace = ace(syn.flags());
        if (ace == 0 || ace == 3 || sysctls.get(Sysctls.TCP_ECN) < 3) {
            return false;
        }
        AccEcn a = new AccEcn(true, sysctls);
        a.synEctRcv = syn.tos() & Ecn.MASK;
        a.prevEcnField = a.synEctRcv;
        request.accEcn = a;
        request.ecnFlags = 0;
        report.step("tcp.accecn", "AccECN SYN (AE, CWR, ECE): accepted, the SYN-ACK reflects its IP ECN field in ACE");
        return true;
    }

    /** tcp_check_req() for a retransmitted SYN: its ECN field is the one to reflect; ACE 000 means a bleaching path. */
    static void synAgain(Tcb request, Segment syn) {
        AccEcn a = request.accEcn;
        if (a != null) {
            a.synEctRcv = syn.tos() & Ecn.MASK;
            if (ace(syn.flags()) == 0) {
                a.failMode |= ACE_FAIL_RECV;
            }
        }
    }

    /**
     * tcp_ecn_make_synack() and tcp_synack_options(): the reflector on the first SYN-ACK and its first retransmission,
     * the AccECN option (every counter at its initial value) on the first only; after the second retransmission the
     * connection stops sending ECT (tcp_accecn_ace_fail_send_set_retrans()).
     */
    static int synAckFlags(Tcb tcb, int flags) {
        AccEcn a = tcb.accEcn;
        int sent = a.synAcks - 1; // synAckOption() counted this one: 0 for the first SYN-ACK
        flags &= ~(TcpFlags.ECE | TcpFlags.CWR | TcpFlags.AE);
        if (sent < 2) {
            flags |= aceFlags(reflector(a.synEctRcv));
        } else {
            a.failMode |= ACE_FAIL_SEND;
        }
        return flags;
    }

    /** Whether this SYN-ACK carries the option; counts the SYN-ACK. */
    static boolean synAckOption(Tcb tcb) {
        AccEcn a = tcb.accEcn;
        return a.synAcks++ < 1 && a.sysctls.get(Sysctls.TCP_ECN_OPTION) != 0 && tcb.state == TcpState.SYN_RECV;
    }

    /** The option a SYN-ACK carries: the three counters at their initial values, in AccECN1 order. */
    static TcpOption synAckOption() {
        return counters(new long[3], 3);
    }

    /**
     * tcp_accecn_third_ack() (RFC 9768 Table 4): ACE 000 on the handshake's last ACK means a path that clears the
     * flags; a pure ACK's reflector is checked against what our SYN-ACK carried, and a reflected CE counts as one CE
     * delivered.
     */
    static void thirdAck(Tcb tcb, Segment ack, Sysctls sysctls, PacketReport report) {
        AccEcn a = tcb.accEcn;
        if (a == null) {
            return;
        }
        int ace = ace(ack.flags());
        switch (ace) {
            case 0 -> {
                a.failMode |= ACE_FAIL_RECV;
                report.step("tcp.accecn", "the handshake's last ACK has ACE 000: the flags are cleared on the path, "
                        + "this side stops sending ECT (tcp_accecn_third_ack())");
            }
            case 1, 5, 7 -> {
            }
            default -> {
                if (ack.length() == 0 && a.validateSynFeedback(ace, a.synEctSnt, sysctls)
                        && extractSynEct(ace) == Ecn.CE && a.deliveredCe == 0) {
                    a.deliveredCe++;
                }
            }
        }
    }

    // ------------------------------------------------------------------ receiving

    /**
     * tcp_ecn_received_counters(): every segment counts its CE mark in the ACE counter and its payload bytes under
     * its ECN field; a change of field or a CE mark asks for the option twice and, for a change, an ACK at once.
     */
    static void received(Tcb tcb, Segment segment) {
        AccEcn a = tcb.accEcn;
        if (a == null || !a.on) {
            return;
        }
        int field = segment.tos() & Ecn.MASK;
        int len = segment.payload().length;
        if (field != Ecn.NOT_ECT) {
            tcb.ecnFlags |= Ecn.SEEN;
            if (field == Ecn.CE) {
                a.receivedCe++;
            }
            if (len > 0) {
                long old = a.receivedBytes[field - 1];
                a.receivedBytes[field - 1] += len;
                a.minLen = Math.max(a.minLen, optField(field));
                if (((a.receivedBytes[field - 1] ^ old) & 0xFFC0_0000L) != 0) {
                    a.optDemand = Math.max(a.optDemand, 1); // at least once per 2^22 bytes of any counter
                }
            }
        }
        boolean edge = a.prevEcnField != field;
        if (edge || field == Ecn.CE) {
            a.prevEcnField = field;
            if (edge) {
                a.ackNow = true;
            }
            a.optDemand = 2;
        }
    }

    /** A SYN on the synchronized connection: the challenge ACK reflects its ECN field (tcp_validate_incoming()). */
    static void synOnEstablished(Tcb tcb, Segment syn) {
        AccEcn a = tcb.accEcn;
        if (a != null && a.on) {
            a.reflect = reflector(syn.tos());
            a.optDemand = Math.max(a.optDemand, 1);
        }
    }

    /** What the ACK processing tells the AccECN sender. */
    record Ack(boolean forwardProgress, boolean tsProgress, boolean synAcked, int deliveredPkts, long deliveredBytes) {
    }

    /**
     * tcp_accecn_process(): the peer's option updates what it reports of our bytes, its ACE field how many of our
     * segments were CE-marked. The ACE counter wraps every 8 segments, so on an ACK of more segments the count is
     * guessed as __tcp_accecn_process() does: the option's CE bytes, or the assumption that all wraps happened,
     * unless ACKs arrive compressed (more than 4 segments each on average).
     */
    static int ackProcessed(Tcb tcb, Segment ack, Ack what) {
        AccEcn a = tcb.accEcn;
        if (a == null || !a.on || (!what.forwardProgress && !what.tsProgress)) {
            return 0;
        }
        long oldCeb = a.deliveredBytes[Ecn.CE - 1];
        boolean optValid = a.processOption(option(ack), what.deliveredBytes);
        int pkts = what.deliveredPkts;
        if (pkts > 0) {
            int ewma = a.pktsAckedEwma == 0 ? pkts << PKTS_ACKED_PREC
                    : (((a.pktsAckedEwma << PKTS_ACKED_WEIGHT) - a.pktsAckedEwma) + (pkts << PKTS_ACKED_PREC)) >>> PKTS_ACKED_WEIGHT;
            a.pktsAckedEwma = Math.min(ewma, 0xFFFF);
        }
        if (what.synAcked) {
            return 0; // the handshake's ACE is a reflector, not a counter
        }
        int corrected = ace(ack.flags()) - CEP_INIT;
        int delta = (corrected - a.deliveredCe) & 7;
        int count;
        if (pkts <= 7) {
            count = delta;
        } else {
            int safeDelta = pkts - ((pkts - delta) & 7);
            count = safeDelta;
            if (optValid) {
                long dCeb = a.deliveredBytes[Ecn.CE - 1] - oldCeb;
                int mss = Math.max(1, TcpSender.sendMss(tcb));
                if (dCeb == 0) {
                    count = delta;
                } else if (pkts >= 16) {
                    count = what.deliveredBytes <= dCeb ? safeDelta
                            : (int) Math.min(safeDelta, delta + (((dCeb * pkts + what.deliveredBytes - 1) / what.deliveredBytes) & ~7L));
                } else if (dCeb > (long) delta * mss) {
                    count = safeDelta;
                } else if (dCeb < ((long) safeDelta * mss) >> 1) {
                    count = delta;
                }
            } else if (a.pktsAckedEwma > (ACK_COMP_THRESH << PKTS_ACKED_PREC)) {
                count = delta;
            }
        }
        a.deliveredCe += count;
        return count;
    }

    /** tcp_accecn_process_option(): true when the option's byte deltas can be trusted for the wrap estimate. */
    private boolean processOption(TcpOption option, long deliveredBytesAcked) {
        if ((failMode & OPT_FAIL_RECV) != 0) {
            return false;
        }
        if (option == null) {
            if (sawOpt == OPT_NOT_SEEN || estEcnField == 0) {
                return false;
            }
            deliveredBytes[estEcnField - 1] += deliveredBytesAcked;
            return true;
        }
        if (sawOpt < OPT_COUNTER_SEEN) {
            sawOpt(optionInit(option));
        }
        byte[] value = ((TcpOption.Unknown) option).value();
        boolean order1 = option.kind() == KIND_ACCECN1;
        int estimate = estEcnField;
        boolean res = estimate != 0;
        boolean ambiguous = false;
        boolean firstChanged = false;
        for (int i = 0; i < 3 && value.length >= 3 * (i + 1); i++) {
            int field = fieldOf(i, order1);
            long wire = ((value[3 * i] & 0xffL) << 16) | ((value[3 * i + 1] & 0xffL) << 8) | (value[3 * i + 2] & 0xffL);
            long truncated = (wire - initOffset(field)) & 0xFFFFFF;
            long delta = (truncated - deliveredBytes[field - 1]) & 0xFFFFFF;
            if ((delta & 0x800000) != 0) {
                delta -= 0x1000000; // sign_extend32(delta, 23)
            }
            deliveredBytes[field - 1] += delta;
            if (delta != 0) {
                if (delta < 0) {
                    res = false;
                    ambiguous = true;
                }
                if (field != estimate) {
                    if (!firstChanged) {
                        estEcnField = field;
                        firstChanged = true;
                    } else {
                        res = false;
                        ambiguous = true;
                    }
                }
            }
        }
        if (ambiguous) {
            estEcnField = 0;
        }
        return res;
    }

    private void sawOpt(int seen) {
        sawOpt = seen;
        if (seen == OPT_FAIL_SEEN) {
            failMode |= OPT_FAIL_RECV;
        }
    }

    /** tcp_accecn_option_init(): an option whose first or third counter is zero was zeroed on the path. */
    private static int optionInit(TcpOption option) {
        byte[] value = ((TcpOption.Unknown) option).value();
        if (value.length < 3) {
            return OPT_EMPTY_SEEN;
        }
        if (value[0] == 0 && value[1] == 0 && value[2] == 0) {
            return OPT_FAIL_SEEN;
        }
        if (value.length < 9) {
            return OPT_COUNTER_SEEN;
        }
        return value[6] == 0 && value[7] == 0 && value[8] == 0 ? OPT_FAIL_SEEN : OPT_COUNTER_SEEN;
    }

    /** tcp_accecn_optfield_to_ecnfield() (RFC 9768 Table 5). */
    private static int fieldOf(int index, boolean order1) {
        return switch (index) {
            case 0 -> order1 ? Ecn.ECT1 : Ecn.ECT0;
            case 1 -> Ecn.CE;
            default -> order1 ? Ecn.ECT0 : Ecn.ECT1;
        };
    }

    /** tcp_accecn_field_init_offset(). */
    private static long initOffset(int field) {
        return switch (field) {
            case Ecn.ECT1 -> E1B_INIT;
            case Ecn.ECT0 -> E0B_INIT;
            default -> 0;
        };
    }

    /** tcp_ecnfield_to_accecn_optfield(): the fields an AccECN1 option needs to carry a change of this counter. */
    private static int optField(int field) {
        return switch (field) {
            case Ecn.ECT1 -> 1;
            case Ecn.CE -> 2;
            case Ecn.ECT0 -> 3;
            default -> 0;
        };
    }

    static TcpOption option(Segment segment) {
        for (TcpOption o : segment.options().list()) {
            if (o instanceof TcpOption.Unknown u && (u.kind() == KIND_ACCECN0 || u.kind() == KIND_ACCECN1)) {
                return o;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ sending

    /** tcp_ecn_send()'s IP half: ECT(0) on every segment unless the path bleached or we gave up sending it. */
    static int tos(Tcb tcb, int tos) {
        AccEcn a = tcb.accEcn;
        if (a == null || !a.on) {
            return tos;
        }
        boolean ect = (a.failMode & (ACE_FAIL_RECV | ACE_FAIL_SEND)) == 0;
        return (tos & ~Ecn.MASK) | (ect ? Ecn.ECT0 : Ecn.NOT_ECT);
    }

    /** tcp_accecn_set_ace(): ACE = received CE count + 5, unless this segment reflects a SYN's ECN field. */
    static int flags(Tcb tcb, int flags) {
        AccEcn a = tcb.accEcn;
        if (a == null || !a.on || (flags & TcpFlags.SYN) != 0) {
            return flags;
        }
        int ace = a.reflect >= 0 ? a.reflect : (a.receivedCe + CEP_INIT) & 7;
        a.reflect = -1;
        a.ackNow = false;
        return (flags & ~(TcpFlags.ECE | TcpFlags.CWR | TcpFlags.AE)) | aceFlags(ace);
    }

    /**
     * tcp_established_options(): the option goes when net.ipv4.tcp_ecn_option allows (2 always, 1 when owed or as a
     * beacon every srtt / tcp_ecn_option_beacon), the peer has shown it sees options, and none failed.
     */
    boolean wantsOption(Tcb tcb, long nowMs) {
        long mode = sysctls.get(Sysctls.TCP_ECN_OPTION);
        if (!on || mode == 0 || sawOpt == OPT_NOT_SEEN || (failMode & OPT_FAIL_SEND) != 0) {
            return false;
        }
        long beacon = sysctls.get(Sysctls.TCP_ECN_OPTION_BEACON);
        boolean beaconDue = beacon != 0 && nowMs >= 0 && tcb.srttMs >= 0 && (nowMs - optSentAtMs) * beacon >= tcb.srttMs;
        return mode >= 2 || optDemand > 0 || beaconDue;
    }

    /**
     * Whether the connection's GSO packets are cut into MSS-sized segments before the device: skbs of an AccECN
     * connection are SKB_GSO_TCP_ACCECN, and those carrying the option reach the wire (the kernel selftests' tun
     * device) as single segments, each with its own option, where without the option a whole GSO packet shows.
     */
    static boolean segmentsInSoftware(Tcb tcb) {
        return mssReserve(tcb) > 0;
    }

    /** The bytes the option takes when nothing else competes for the space, which tcp_current_mss() subtracts. */
    static int mssReserve(Tcb tcb) {
        AccEcn a = tcb.accEcn;
        if (a == null || !a.wantsOption(tcb, -1)) {
            return 0;
        }
        return 12;
    }

    /**
     * tcp_options_fit_accecn() and tcp_options_write(): appends the option with as many counters (from 3 down to the
     * {@link #minLen} that reports what changed) as fit after the options already in {@code list}; with SACK blocks
     * that leave no room it gives one block up if that makes the option fit. The option is padded with nop; before
     * SACK blocks the padding shares the SACK option's own two nops. Returns the SACK option to send (possibly
     * with fewer blocks), or null when there is none.
     */
    TcpOption appendOption(List<TcpOption> list, TcpOption sack, long nowMs) {
        int used = list.stream().mapToInt(TcpOption::size).sum();
        int sackBlocks = sack == null ? 0 : (sack.size() - 2) / 8;
        int remaining = 40 - used - (sack == null ? 0 : 2 + 8 * sackBlocks + 2);
        int saving = sackBlocks > 0 ? 2 : 0;
        int fields = 3;
        int size = 11;
        int reduced = 0;
        int rem = remaining;
        int fitted = -1;
        while (fields >= minLen) {
            int aligned = (size & 3) > saving ? (size + 3) & ~3 : size & ~3;
            if (rem >= aligned) {
                fitted = aligned;
                break;
            } else if (fields == minLen && sackBlocks - reduced > 2 && minLen > 0) {
                reduced++;
                rem += 8;
                fields = 3;
                size = 11;
                continue;
            }
            fields--;
            size -= 3;
        }
        if (fitted < 0) {
            return sack;
        }
        TcpOption option = counters(receivedBytes, fields);
        list.add(option);
        if (reduced > 0) {
            byte[] value = ((TcpOption.Unknown) sack).value();
            sack = new TcpOption.Unknown(sack.kind(), java.util.Arrays.copyOf(value, value.length - 8 * reduced));
        }
        // padding: to a 4-byte boundary alone, or together with the SACK option that follows
        int region = option.size() + (sack == null ? 0 : sack.size());
        int pad = (4 - region % 4) % 4;
        for (int i = 0; i < pad; i++) {
            list.add(new TcpOption.Nop());
        }
        minLen = 0;
        optSentAtMs = nowMs;
        if (optDemand > 0) {
            optDemand--;
        }
        return sack;
    }

    /**
     * tcp_rcv_spurious_retrans() (RFC 9768 §3.2.3.2.2, upstream in the AccECN case-handling series after 6.18): the
     * peer sends again a segment we already reported with a D-SACK on an ACK that carried the option. That ACK
     * seems lost, perhaps to a middlebox that drops segments with options it does not know, so the option is no
     * longer sent (TCP_ACCECN_OPT_FAIL_SEND).
     */
    static void spuriousRetrans(Tcb tcb, int seq) {
        AccEcn a = tcb.accEcn;
        if (a != null && a.on && a.optSentWithDsack && tcb.rcvSack != null && tcb.rcvSack.duplicateStart() == seq) {
            a.failMode |= OPT_FAIL_SEND;
        }
    }

    /** An AccECN1 option (ECT(1), CE, ECT(0) bytes) with the first {@code fields} counters, each at its initial offset. */
    private static TcpOption counters(long[] bytes, int fields) {
        long[] wire = {bytes[Ecn.ECT1 - 1] + E1B_INIT, bytes[Ecn.CE - 1], bytes[Ecn.ECT0 - 1] + E0B_INIT};
        byte[] value = new byte[3 * fields];
        for (int i = 0; i < fields; i++) {
            value[3 * i] = (byte) (wire[i] >>> 16);
            value[3 * i + 1] = (byte) (wire[i] >>> 8);
            value[3 * i + 2] = (byte) wire[i];
        }
        return new TcpOption.Unknown(KIND_ACCECN1, value);
    }

    private static Segment withFlags(Segment s, int flags) {
        return new Segment(s.src(), s.dst(), flags, s.seq(), s.ack(), s.window(), s.mss(), s.payload(), s.options(), s.tos());
    }

    // ------------------------------------------------------------------ views

    /** TCP_INFO's AccECN fields (struct tcp_info since Linux 6.18). */
    static void info(Tcb tcb, java.util.Map<String, Long> info) {
        AccEcn a = tcb.accEcn != null && tcb.accEcn.on ? tcb.accEcn : null;
        info.put("tcpi_delivered_ce", a == null ? 0L : a.deliveredCe);
        info.put("tcpi_received_ce", a == null ? 0L : a.receivedCe);
        info.put("tcpi_delivered_e1_bytes", a == null ? 0L : a.deliveredBytes[Ecn.ECT1 - 1]);
        info.put("tcpi_delivered_e0_bytes", a == null ? 0L : a.deliveredBytes[Ecn.ECT0 - 1]);
        info.put("tcpi_delivered_ce_bytes", a == null ? 0L : a.deliveredBytes[Ecn.CE - 1]);
        info.put("tcpi_received_e1_bytes", a == null ? 0L : a.receivedBytes[Ecn.ECT1 - 1]);
        info.put("tcpi_received_e0_bytes", a == null ? 0L : a.receivedBytes[Ecn.ECT0 - 1]);
        info.put("tcpi_received_ce_bytes", a == null ? 0L : a.receivedBytes[Ecn.CE - 1]);
        info.put("tcpi_accecn_fail_mode", a == null ? 0L : a.failMode);
        info.put("tcpi_accecn_opt_seen", a == null ? 0L : a.sawOpt);
    }

    static final List<String> INFO_FIELDS = List.of("tcpi_delivered_ce", "tcpi_received_ce", "tcpi_delivered_e1_bytes",
            "tcpi_delivered_e0_bytes", "tcpi_delivered_ce_bytes", "tcpi_received_e1_bytes", "tcpi_received_e0_bytes",
            "tcpi_received_ce_bytes", "tcpi_accecn_fail_mode", "tcpi_accecn_opt_seen");
}
