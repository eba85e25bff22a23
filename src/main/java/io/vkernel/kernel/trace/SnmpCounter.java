package io.vkernel.kernel.trace;

/**
 * The MIB counters vkernel keeps, named as {@code nstat} prints them: {@code Tcp*} from /proc/net/snmp, then
 * {@code TcpExt*} from /proc/net/netstat, each in the kernel's own order (snmp4_tcp_list, snmp4_net_list).
 */
public enum SnmpCounter {
    TCP_ACTIVE_OPENS("TcpActiveOpens", "connect() sent a SYN (tcp_connect())"),
    TCP_PASSIVE_OPENS("TcpPassiveOpens", "a handshake completed on a listener and created a child (tcp_create_openreq_child())"),
    TCP_ATTEMPT_FAILS("TcpAttemptFails", "a connection in SYN_SENT or SYN_RECV was closed or reset"),
    TCP_ESTAB_RESETS("TcpEstabResets", "a connection in ESTABLISHED or CLOSE_WAIT went straight to CLOSED (tcp_set_state())"),
    TCP_IN_SEGS("TcpInSegs", "TCP segments received, errors included (tcp_v4_rcv())"),
    TCP_OUT_SEGS("TcpOutSegs", "TCP segments sent, resets included"),
    TCP_IN_ERRS("TcpInErrs", "segments received in error: bad header or checksum, or a SYN on a synchronized connection"),
    TCP_OUT_RSTS("TcpOutRsts", "segments sent with RST"),
    TCP_IN_CSUM_ERRORS("TcpInCsumErrors", "segments whose TCP checksum did not verify"),
    SYNCOOKIES_SENT("TcpExtSyncookiesSent", "SYN-ACKs whose ISN was a SYN cookie (cookie_v4_init_sequence())"),
    SYNCOOKIES_RECV("TcpExtSyncookiesRecv", "final ACKs that carried a valid cookie (cookie_v4_check())"),
    OUT_OF_WINDOW_ICMPS("TcpExtOutOfWindowIcmps", "ICMP errors ignored because the sequence number they quote is outside the window (tcp_v4_err())"),
    TIME_WAITED("TcpExtTW", "TIME_WAIT sockets that ran their full 60 s"),
    LISTEN_OVERFLOWS("TcpExtListenOverflows", "a SYN or the handshake's final ACK found the accept queue full (sk_acceptq_is_full())"),
    LISTEN_DROPS("TcpExtListenDrops", "segments a listener dropped, overflows included (tcp_listendrop())"),
    TCP_ABORT_ON_DATA("TcpExtTCPAbortOnData", "reset because data arrived after close() (RFC 1122 §4.2.2.13)"),
    TCP_ABORT_ON_CLOSE("TcpExtTCPAbortOnClose", "reset because close() found unread data (RFC 2525 §2.17)"),
    TCP_ABORT_ON_LINGER("TcpExtTCPAbortOnLinger", "reset by close() with SO_LINGER {1, 0}"),
    TCP_OFO_DROP("TcpExtTCPOFODrop", "out-of-order segments dropped because the receive buffer could not hold them (tcp_data_queue_ofo())"),
    TCP_SYN_CHALLENGE("TcpExtTCPSYNChallenge", "SYNs on a synchronized connection answered with a challenge ACK (RFC 5961 §4)"),
    TCP_CHALLENGE_ACK("TcpExtTCPChallengeACK", "challenge ACKs sent (RFC 5961)"),
    TCP_REQ_Q_FULL_DO_COOKIES("TcpExtTCPReqQFullDoCookies", "SYNs answered with a cookie because the SYN queue was full (or tcp_syncookies=2)"),
    TCP_REQ_Q_FULL_DROP("TcpExtTCPReqQFullDrop", "SYNs dropped because the SYN queue was full and cookies were off"),
    TCP_ACK_SKIPPED_SEQ("TcpExtTCPACKSkippedSeq", "duplicate ACKs to out-of-window segments not sent: tcp_invalid_ratelimit"),
    TCP_ACK_SKIPPED_TIME_WAIT("TcpExtTCPACKSkippedTimeWait", "TIME_WAIT ACKs not sent: tcp_invalid_ratelimit"),
    TCP_ACK_SKIPPED_CHALLENGE("TcpExtTCPACKSkippedChallenge", "challenge ACKs not sent: tcp_invalid_ratelimit or tcp_challenge_ack_limit"),
    TCP_DSACK_OLD_SENT("TcpExtTCPDSACKOldSent", "D-SACKs for data received twice below RCV.NXT (tcp_dsack_set())"),
    TCP_DSACK_OFO_SENT("TcpExtTCPDSACKOfoSent", "D-SACKs for out-of-order data received twice (tcp_dsack_set())"),
    TCP_RETRANS_SEGS("TcpRetransSegs", "segments retransmitted: by the RTO, fast recovery, RACK or a loss probe"),
    TCP_TIMEOUTS("TcpExtTCPTimeouts", "retransmission timer expiries with data outstanding (tcp_retransmit_timer())"),
    TCP_SACK_RECOVERY("TcpExtTCPSackRecovery", "fast recoveries entered on a SACK connection (tcp_enter_recovery())"),
    TCP_RENO_RECOVERY("TcpExtTCPRenoRecovery", "fast recoveries entered on a connection without SACK (tcp_enter_recovery())"),
    TCP_FULL_UNDO("TcpExtTCPFullUndo", "recoveries undone when the recovery point was acknowledged (tcp_try_undo_recovery())"),
    TCP_PARTIAL_UNDO("TcpExtTCPPartialUndo", "recoveries undone on a partial ACK whose timestamp shows a delayed original (tcp_try_undo_partial())"),
    TCP_DSACK_UNDO("TcpExtTCPDSACKUndo", "cwnd reductions undone because D-SACKs reported every retransmission as a duplicate (tcp_try_undo_dsack())"),
    TCP_LOSS_UNDO("TcpExtTCPLossUndo", "retransmission timeouts undone as spurious (tcp_try_undo_loss(), tcp_try_undo_recovery() in Loss)"),
    TCP_MD5_UNEXPECTED("TcpExtTCPMD5Unexpected", "segments dropped for carrying a TCP MD5 signature (RFC 2385) to a socket with no MD5 key (tcp_inbound_md5_hash())"),
    TCP_LOSS_PROBES("TcpExtTCPLossProbes", "tail loss probes sent (tcp_send_loss_probe(), RFC 8985 §7)"),
    TCP_LOSS_PROBE_RECOVERY("TcpExtTCPLossProbeRecovery", "losses a tail loss probe repaired (tcp_process_tlp_ack())"),
    TCP_ZERO_WINDOW_DROP("TcpExtTCPZeroWindowDrop", "in-order data dropped because the advertised window was zero (tcp_data_queue())"),
    TCP_RCVQ_DROP("TcpExtTCPRcvQDrop", "in-order data dropped because the receive buffer was full and data was queued (tcp_data_queue())"),
    BEYOND_WINDOW("TcpExtBeyondWindow", "segments dropped for ending beyond the receive window while data was queued (tcp_sequence())");

    private final String nstatName;
    private final String description;

    SnmpCounter(String nstatName, String description) {
        this.nstatName = nstatName;
        this.description = description;
    }

    /** The name {@code nstat} prints, e.g. {@code TcpExtListenOverflows}. */
    public String nstatName() {
        return nstatName;
    }

    public String description() {
        return description;
    }
}
