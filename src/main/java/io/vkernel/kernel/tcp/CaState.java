package io.vkernel.kernel.tcp;

/** The congestion-avoidance state machine of tcp_fastretrans_alert() ({@code icsk_ca_state}), as ss -ti names it. */
public enum CaState {
    /** Normal: no loss suspected. */
    OPEN,
    /** SACKs or duplicate ACKs arrived, not yet enough to call a segment lost. */
    DISORDER,
    /** cwnd reduced for a reason other than loss (ECN, local congestion); not entered by vkernel. */
    CWR,
    /** Fast retransmit done, fast recovery with PRR until the recovery point is acknowledged (RFC 6937). */
    RECOVERY,
    /** The retransmission timer fired: cwnd 1, everything outstanding is presumed lost. */
    LOSS
}
