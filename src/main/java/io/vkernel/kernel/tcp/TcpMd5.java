package io.vkernel.kernel.tcp;

import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpOption;

/**
 * The TCP MD5 signature option (RFC 2385, kind 19, 18 bytes: a 16-byte MD5 digest) on arrival. vkernel keeps no MD5
 * keys (setsockopt(TCP_MD5SIG) is not modelled), so every socket is one without a key, and Linux's
 * tcp_inbound_md5_hash() drops a segment that carries the option anyway: "!key && hash_location" counts
 * TcpExtTCPMD5Unexpected and discards it (SKB_DROP_REASON_TCP_MD5UNEXPECTED), before the socket sees it, on a
 * listener (tcp_v4_rcv()), on a request waiting for the handshake's last ACK (the TCP_NEW_SYN_RECV branch) and on a
 * connection alike. A TIME_WAIT socket does not check (tcp_timewait_state_process()).
 */
final class TcpMd5 {

    /** TCPOPT_MD5SIG (include/net/tcp.h). */
    static final int KIND = 19;

    private final TcpHost host;

    TcpMd5(TcpHost host) {
        this.host = host;
    }

    /** True when {@code segment} carries an MD5 signature and was dropped for it (no key is configured). */
    boolean unexpected(Segment segment, PacketReport report) {
        for (TcpOption option : segment.options().list()) {
            if (option instanceof TcpOption.Unknown u && u.kind() == KIND) {
                host.count(SnmpCounter.TCP_MD5_UNEXPECTED);
                report.drop(DropReason.MD5_UNEXPECTED, "the segment carries a TCP MD5 signature (RFC 2385) but the socket has "
                        + "no MD5 key: tcp_inbound_md5_hash() drops it (TcpExtTCPMD5Unexpected)");
                return true;
            }
        }
        return false;
    }
}
