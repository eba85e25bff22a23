package io.vkernel.kernel.tcp;

/**
 * RFC 9293 §3.3.2 states with Linux's numbers ({@code include/net/tcp_states.h}, the {@code st} column of
 * /proc/net/tcp) and the names {@code ss} prints.
 */
public enum TcpState {
    ESTABLISHED(1, "ESTAB"),
    SYN_SENT(2, "SYN-SENT"),
    SYN_RECV(3, "SYN-RECV"),
    FIN_WAIT1(4, "FIN-WAIT-1"),
    FIN_WAIT2(5, "FIN-WAIT-2"),
    TIME_WAIT(6, "TIME-WAIT"),
    CLOSE(7, "UNCONN"),
    CLOSE_WAIT(8, "CLOSE-WAIT"),
    LAST_ACK(9, "LAST-ACK"),
    LISTEN(10, "LISTEN"),
    CLOSING(11, "CLOSING");

    private final int linuxNumber;
    private final String ssName;

    TcpState(int linuxNumber, String ssName) {
        this.linuxNumber = linuxNumber;
        this.ssName = ssName;
    }

    public int linuxNumber() {
        return linuxNumber;
    }

    public String ssName() {
        return ssName;
    }

    /** States in which the connection is synchronized (RFC 9293 §3.10.7.4 applies). */
    public boolean isSynchronized() {
        return this != SYN_SENT && this != SYN_RECV && this != LISTEN && this != CLOSE;
    }
}
