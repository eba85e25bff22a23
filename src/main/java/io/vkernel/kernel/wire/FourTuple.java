package io.vkernel.kernel.wire;

import java.util.Objects;

/**
 * The identity of a TCP connection as the receiving kernel sees it: the remote end (the packet's source)
 * and the local end (its destination). Written {@code remote-local}, e.g. {@code 192.168.1.100:54321-10.0.0.50:8080}.
 */
public final class FourTuple {

    private final Endpoint remote;
    private final Endpoint local;
    /**
     * The text, written once: a connection's tuple names its timers and events for as long as it lives (every
     * retransmission's timer and event), and a journal replay re-does all of them.
     */
    private String text;

    public FourTuple(Endpoint remote, Endpoint local) {
        this.remote = remote;
        this.local = local;
    }

    public Endpoint remote() {
        return remote;
    }

    public Endpoint local() {
        return local;
    }

    /** The tuple of an arriving segment: its source is the remote end. */
    public static FourTuple ofInbound(Segment segment) {
        return new FourTuple(segment.src(), segment.dst());
    }

    public static FourTuple parse(String text) {
        int dash = text == null ? -1 : text.indexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException("a connection is written remote-local, e.g. 192.168.1.100:54321-10.0.0.50:8080");
        }
        return new FourTuple(Endpoint.parse(text.substring(0, dash)), Endpoint.parse(text.substring(dash + 1)));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof FourTuple t && Objects.equals(t.remote, remote) && Objects.equals(t.local, local);
    }

    /** As the record this was computed it: 31 x remote's hash + local's, so hash-ordered maps keep their order. */
    @Override
    public int hashCode() {
        return 31 * Objects.hashCode(remote) + Objects.hashCode(local);
    }

    @Override
    public String toString() {
        String written = text;
        if (written == null) {
            written = remote + "-" + local;
            text = written;
        }
        return written;
    }
}
