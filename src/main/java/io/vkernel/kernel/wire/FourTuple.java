package io.vkernel.kernel.wire;

/**
 * The identity of a TCP connection as the receiving kernel sees it: the remote end (the packet's source)
 * and the local end (its destination). Written {@code remote-local}, e.g. {@code 192.168.1.100:54321-10.0.0.50:8080}.
 */
public record FourTuple(Endpoint remote, Endpoint local) {

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
    public String toString() {
        return remote + "-" + local;
    }
}
