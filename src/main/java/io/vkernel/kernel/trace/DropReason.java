package io.vkernel.kernel.trace;

import io.vkernel.kernel.wire.MalformedPacketException;

/** Why the kernel dropped an inbound segment; each reason has its own counter. */
public enum DropReason {
    // Raw bytes that are not a TCP segment in a whole IPv4 packet (ip_rcv_core(), tcp_v4_rcv()); Linux counts them
    // in /proc/net/snmp and drops them without a reply.
    TRUNCATED("fewer bytes than the headers need or than the IPv4 total length says (Linux: InTruncatedPkts, or InHdrErrors)"),
    BAD_IP_HEADER("the IPv4 header is impossible: version not 4, IHL below 5, or a total length smaller than the header (Linux: InHdrErrors)"),
    BAD_IP_CHECKSUM("the IPv4 header checksum does not verify (RFC 1071; Linux: ip_fast_csum() fails, InCsumErrors)"),
    FRAGMENTED("a fragment: Linux holds it for reassembly in ip_defrag(); vkernel does not reassemble and drops it"),
    NOT_TCP("the IPv4 protocol is not 6 (TCP); vkernel speaks only TCP, Linux would pass it to UDP, ICMP, ... or answer ICMP protocol unreachable"),
    BAD_TCP_HEADER("the TCP data offset is below 5 words or runs past the segment (Linux: tcp_v4_rcv() bad_packet, InErrs)"),
    BAD_TCP_CHECKSUM("the TCP checksum over pseudo-header, header and payload does not verify (RFC 9293 §3.1; Linux: InCsumErrors)"),
    NOT_FOR_THIS_HOST("the destination address is not one of this kernel's addresses"),
    BAD_SOURCE("the source address cannot be a TCP peer (0/8, multicast or broadcast)"),
    NO_SOCKET("no connection or listener matches the 4-tuple"),
    RST_NO_SOCKET("a RST for no socket is dropped silently; a RST is never answered with a RST"),
    LISTEN_BAD_FLAGS("a listener only takes a SYN; other segments are dropped or reset"),
    CONNECTION_LIMIT("the sandbox's connections-per-kernel bound is reached; the SYN is dropped"),
    SYN_QUEUE_FULL("more requests are pending than the listen backlog and SYN cookies are off"),
    ACCEPT_QUEUE_FULL("the listener's accept queue is full (backlog + 1)"),
    OUT_OF_WINDOW("the sequence number is outside the receive window"),
    ACK_UNSENT_DATA("the ACK acknowledges data that was never sent"),
    ACK_TOO_OLD("the ACK is below SND.UNA minus the largest window the peer ever offered (RFC 5961 §5.2)"),
    NO_ACK_FLAG("a segment without ACK on a synchronized connection is dropped"),
    RECEIVE_BUFFER_FULL("the receive buffer has no room for the payload"),
    DUPLICATE("the segment carries only bytes already received"),
    MD5_UNEXPECTED("the segment carries a TCP MD5 signature option (RFC 2385) but the socket has no MD5 key (Linux: tcp_inbound_md5_hash(), TcpExtTCPMD5Unexpected)"),
    ICMP_IGNORED("an ICMP error that changes nothing: no connection quoted, a sequence number outside the window, or a type TCP ignores (tcp_v4_err())");

    private final String explanation;

    DropReason(String explanation) {
        this.explanation = explanation;
    }

    public String explanation() {
        return explanation;
    }

    /** The counter for bytes the wire codec refused. */
    public static DropReason of(MalformedPacketException.Reason reason) {
        return switch (reason) {
            case TRUNCATED -> TRUNCATED;
            case BAD_IP_HEADER -> BAD_IP_HEADER;
            case BAD_IP_CHECKSUM -> BAD_IP_CHECKSUM;
            case FRAGMENTED -> FRAGMENTED;
            case NOT_TCP -> NOT_TCP;
            case BAD_TCP_HEADER -> BAD_TCP_HEADER;
            case BAD_TCP_CHECKSUM -> BAD_TCP_CHECKSUM;
        };
    }
}
