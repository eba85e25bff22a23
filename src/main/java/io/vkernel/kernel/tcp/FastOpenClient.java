package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The client side of TCP Fast Open (RFC 7413) as Linux 6.x does it: the per-destination cookie and MSS cache
 * (tcp_metrics.c tcp_fastopen_cache_get/set()), the decision whether a SYN carries data (tcp_fastopen_cookie_check(),
 * tcp_send_syn_data()), and what the SYN-ACK teaches (tcp_rcv_fastopen_synack()).
 */
public final class FastOpenClient {

    /** MAX_TCP_OPTION_SPACE: tcp_send_syn_data() keeps room for every option a middlebox might add. */
    static final int MAX_OPTION_SPACE = 40;
    /** The harness's path MTU (1500) less the IPv4 and TCP headers: __tcp_mtu_to_mss() before mss_clamp. */
    static final int PMTU_MSS = 1460;

    private FastOpenClient() {
    }

    /**
     * One kernel's tcp_metrics Fast Open entries, by destination address: the cookie a SYN-ACK gave (with its option
     * kind), the MSS it announced, and try_exp (1: ask in the experimental kind 254 next time, 2: give up asking).
     * Derived from the packets the kernel received, so a journal replay rebuilds it exactly.
     */
    public static final class Cache {
        private final Map<Integer, Entry> entries = new HashMap<>();

        static final class Entry {
            int mss;
            byte[] cookie = new byte[0];
            boolean exp;
            int tryExp;
        }

        Entry get(int remoteAddress) {
            return entries.get(remoteAddress);
        }

        /** tcp_fastopen_cache_set(). */
        void set(int remoteAddress, int mss, FastOpen.Cookie cookie, int tryExp) {
            Entry entry = entries.computeIfAbsent(remoteAddress, a -> new Entry());
            if (mss > 0) {
                entry.mss = mss;
            }
            if (cookie != null && cookie.value().length > 0) {
                entry.cookie = cookie.value();
                entry.exp = cookie.exp();
            } else if (tryExp > entry.tryExp && entry.cookie.length == 0 && !entry.exp) {
                entry.tryExp = tryExp;
            }
        }

        /** ip tcp_metrics flush: every destination forgotten. */
        public void flush() {
            entries.clear();
        }

        public int size() {
            return entries.size();
        }

        /** What the cache holds, one line per destination (for inspection). */
        public List<String> describe() {
            List<String> lines = new ArrayList<>();
            entries.forEach((address, e) -> lines.add(io.vkernel.kernel.wire.Ipv4.format(address) + " mss " + e.mss
                    + (e.cookie.length > 0 ? " cookie " + HexFormat.of().formatHex(e.cookie) + (e.exp ? " (kind 254)" : "")
                    : " no cookie") + (e.tryExp > 0 ? " try_exp " + e.tryExp : "")));
            return lines;
        }
    }

    /**
     * tcp_fastopen_request for one connection, decided when its SYN is built: the bytes the SYN carries, the Fast
     * Open option it carries (null: none, as with no cookie required), whether that option is the experimental kind.
     */
    static final class Syn {
        final byte[] data;
        final FastOpen.Cookie option;

        Syn(byte[] data, FastOpen.Cookie option) {
            this.data = data;
            this.option = option;
        }

        /** tp->syn_fastopen: the SYN carried the option (a cookie or a request). */
        boolean fastOpen() {
            return option != null;
        }

        /** tp->syn_data: the SYN carried data. */
        boolean synData() {
            return data.length > 0;
        }
    }

    /** tcp_fastopen_no_cookie(): net.ipv4.tcp_fastopen 0x4, or TCP_FASTOPEN_NO_COOKIE on the socket. */
    static boolean noCookie(Sysctls sysctls, Socket socket) {
        return (sysctls.get(Sysctls.TCP_FASTOPEN) & FastOpen.CLIENT_NO_COOKIE) != 0
                || (socket != null && socket.options().fastOpenNoCookie);
    }

    /**
     * tcp_fastopen_cookie_check() as tcp_fastopen_defer_connect() asks it: may data go on the SYN (a cookie is
     * cached for the destination, or none is required)?
     */
    public static boolean cookieAvailable(Cache cache, int remoteAddress, Sysctls sysctls, Socket socket) {
        if (noCookie(sysctls, socket)) {
            return true;
        }
        Cache.Entry entry = cache.get(remoteAddress);
        return entry != null && entry.cookie.length > 0;
    }

    /**
     * tcp_send_syn_data(): with a usable cookie (or none required) the SYN carries up to the cached MSS (else our
     * advertised one), bounded by the path MTU and TCP_MAXSEG, less MAX_TCP_OPTION_SPACE (40) bytes of the
     * application's data; otherwise it is a plain SYN with a cookie request (an empty option, in the kind 254 when an
     * earlier request in kind 34 went unanswered). Returns the plan; the caller copies {@code data.length} bytes.
     */
    static Syn plan(Tcb tcb, Cache cache, Sysctls sysctls, Socket socket, byte[] data, PacketReport report) {
        Cache.Entry entry = cache.get(tcb.tuple().remote().address());
        int mssClamp = entry != null && entry.mss > 0 ? entry.mss : tcb.advMss;
        byte[] cookie = entry == null ? new byte[0] : entry.cookie;
        // tcp_fastopen_cache_get(): a missing cookie is asked for in the experimental kind after try_exp 1
        boolean exp = entry != null && (cookie.length > 0 ? entry.exp : entry.tryExp == 1);
        boolean noCookie = noCookie(sysctls, socket);
        if (!noCookie && cookie.length == 0) {
            report.step("tcp.fastopen", "no Fast Open cookie cached for " + io.vkernel.kernel.wire.Ipv4.format(tcb.tuple().remote().address())
                    + ": a SYN without data asking for one (" + new FastOpen.Cookie(new byte[0], exp) + ")");
            return new Syn(new byte[0], new FastOpen.Cookie(new byte[0], exp));
        }
        int userMss = socket == null ? 0 : socket.options().userMss;
        int mss = Math.min(PMTU_MSS, mssClamp);
        if (userMss > 0) {
            mss = Math.min(mss, userMss); // tcp_mss_clamp()
        }
        int space = Math.max(0, Math.min(mss - MAX_OPTION_SPACE, data.length));
        byte[] onSyn = java.util.Arrays.copyOf(data, space);
        FastOpen.Cookie option = noCookie ? null : new FastOpen.Cookie(cookie, exp);
        report.step("tcp.fastopen", "SYN carries " + space + " of " + data.length + " bytes (cached MSS " + mssClamp
                + " less 40 bytes of option space)" + (noCookie ? " and no cookie (none required)" : " and cookie " + option));
        return new Syn(onSyn, option);
    }

    /**
     * The first SYN as tcp_send_syn_data() sends it: {@code plain} (tcp_syn_options()' SYN) with the Fast Open option
     * last, padded with nops to a 4-byte boundary when it fits the 40 bytes, and the data. Retransmitted SYNs are
     * plain (tcp_send_syn_data() sets the cookie length to -1 after the first).
     */
    static Segment firstSyn(Segment plain, Syn syn) {
        List<TcpOption> list = new ArrayList<>(plain.options().list());
        boolean withOption = false;
        if (syn.option != null) {
            TcpOption option = syn.option.option();
            int used = list.stream().mapToInt(TcpOption::size).sum();
            int need = (option.size() + 3) & ~3;
            if (used + need <= TcpOptions.MAX_LENGTH) {
                list.add(option);
                for (int pad = option.size(); pad < need; pad++) {
                    list.add(new TcpOption.Nop());
                }
                withOption = true;
            }
        }
        if (!withOption && syn.data.length == 0) {
            return plain;
        }
        return new Segment(plain.src(), plain.dst(), plain.flags(), plain.seq(), plain.ack(), plain.window(), 0, syn.data,
                new TcpOptions(list));
    }

    /**
     * tcp_rcv_fastopen_synack(), after the SYN-ACK's ACK was taken: remembers the MSS and any cookie (an unsolicited
     * cookie is ignored; a request that got none makes the next one use kind 254, then stops asking), and says how
     * many of the SYN's bytes the SYN-ACK did not acknowledge; those are sent again at once (returned, possibly empty).
     */
    static byte[] synAck(Tcb tcb, Syn syn, Cache cache, Segment synAck, PacketReport report) {
        FastOpen.Cookie cookie = FastOpen.parse(synAck);
        // the SYN-ACK's own MSS, not clamped by TCP_MAXSEG (tcp_rcv_fastopen_synack() re-parses it when they differ)
        int mss = synAck.mss();
        int tryExp = 0;
        if (!syn.fastOpen()) {
            cookie = null; // the SYN did not ask: an unsolicited cookie is ignored
        } else if (tcb.synRetries > 0 || tcb.totalRetransmits > 0) {
            // the SYN timed out: the peer presumably saw only the plain retransmissions (syn_drop, unused since 4.x)
        } else if ((cookie == null || cookie.value().length == 0) && !syn.synData()) {
            tryExp = syn.option.exp() ? 2 : 1;
        }
        if (cookie != null && cookie.value().length == 0) {
            cookie = null;
        }
        cache.set(tcb.tuple().remote().address(), mss, cookie, tryExp);
        int acked = Math.max(0, Math.min(syn.data.length, synAck.ack() - tcb.iss - 1));
        if (acked < syn.data.length) {
            report.step("tcp.fastopen", "the SYN-ACK acknowledges " + acked + " of the SYN's " + syn.data.length + " bytes"
                    + (cookie != null ? "" : " and carries no cookie") + ": the rest is sent again now (TCPFastOpenActiveFail)");
            return java.util.Arrays.copyOfRange(syn.data, acked, syn.data.length);
        }
        tcb.synDataAcked = syn.synData();
        if (syn.synData()) {
            report.step("tcp.fastopen", "the SYN-ACK acknowledges the SYN's " + syn.data.length + " bytes: Fast Open "
                    + "worked (TCPFastOpenActive, TCPI_OPT_SYN_DATA)");
        }
        if (cookie != null) {
            report.step("tcp.fastopen", "cookie " + cookie + " and MSS " + mss + " cached for " + io.vkernel.kernel.wire.Ipv4.format(tcb.tuple().remote().address()));
        }
        return new byte[0];
    }

    /**
     * tcp_rcv_fastopen_synack() after the SYN data the SYN-ACK left unacknowledged went out again as [from, to):
     * that data was marked lost (tcp_mark_skb_lost()) and resent by tcp_non_congestion_loss_retransmit(), which
     * enters CA_Loss without reducing cwnd (high_seq = SND.NXT, ssthresh = tcp_current_ssthresh(), no undo) and
     * calls tcp_xmit_retransmit_queue(). So the bytes count in retrans_out (tcpi_retrans) and total_retrans by
     * segment (tcp_skb_pcount()), the skb is TCPCB_RETRANS for RACK, Karn's rule drops the RTT timing, and new
     * data written afterwards is sent as in CA_Loss.
     */
    static void synDataResent(Tcb tcb, int from, int to, int mss, long now, TcpHost host, PacketReport report) {
        if (!Seq.after(to, from)) {
            return;
        }
        if (tcb.caState != CaState.LOSS) {
            tcb.highSeq = to;
            tcb.ssthresh = Undo.currentSsthresh(tcb);
            tcb.undo.priorSsthresh = 0;
            tcb.undo.marked = false;
            tcb.dupAcks = 0;
            tcb.caState = CaState.LOSS;
            if (report != null && report.tracing()) {
                int cwnd = tcb.cwnd;
                report.step("tcp.ca_state", () -> "LOSS: the SYN data the SYN-ACK did not acknowledge is lost and resent, cwnd "
                        + cwnd + " unchanged (tcp_non_congestion_loss_retransmit())");
            }
        }
        tcb.rack.onSent(from, to, mss, now, true);
        for (Rack.Sent piece : tcb.rack.sent) {
            if (Seq.before(piece.start, to) && Seq.after(piece.end, from)) {
                piece.lost = true; // tcp_mark_skb_lost() before the retransmission: lost_out, then retrans_out
            }
        }
        tcb.retransmitHigh = to;
        int segs = (to - from + mss - 1) / mss;
        tcb.undo.onRetransmit(segs, now);
        tcb.totalRetransmits += segs;
        for (int i = 0; i < segs; i++) {
            host.count(io.vkernel.kernel.trace.SnmpCounter.TCP_RETRANS_SEGS);
        }
        tcb.rttSentAt = -1;
    }
}
