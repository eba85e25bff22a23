package io.vkernel.kernel.trace;

/** Why the kernel dropped an inbound segment; each reason has its own counter. */
public enum DropReason {
    NOT_FOR_THIS_HOST("the destination address is not one of this kernel's addresses"),
    BAD_SOURCE("the source address cannot be a TCP peer (0/8, multicast or broadcast)"),
    NO_SOCKET("no connection or listener matches the 4-tuple"),
    RST_NO_SOCKET("a RST for no socket is dropped silently; a RST is never answered with a RST"),
    LISTEN_BAD_FLAGS("a listener only takes a SYN; other segments are dropped or reset"),
    CONNECTION_LIMIT("the sandbox's connections-per-kernel bound is reached; the SYN is dropped"),
    ACCEPT_QUEUE_FULL("the listener's accept queue is full (backlog + 1)"),
    OUT_OF_WINDOW("the sequence number is outside the receive window"),
    ACK_UNSENT_DATA("the ACK acknowledges data that was never sent"),
    NO_ACK_FLAG("a segment without ACK on a synchronized connection is dropped"),
    RECEIVE_BUFFER_FULL("the receive buffer has no room for the payload"),
    DUPLICATE("the segment carries only bytes already received");

    private final String explanation;

    DropReason(String explanation) {
        this.explanation = explanation;
    }

    public String explanation() {
        return explanation;
    }
}
