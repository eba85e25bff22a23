package io.vkernel.scenario;

import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;

import java.nio.charset.StandardCharsets;

/**
 * A remote host's end of one connection, played by the scenario: it sends segments to the kernel through the
 * stage and keeps its own sequence numbers (SND.NXT) and what it has received from the server (RCV.NXT), learnt
 * from every segment the kernel sends to it.
 */
final class Client {

    static final int ISN = 1000;
    static final int WINDOW = 65535;
    static final int MSS = 1460;

    private final Stage stage;
    private final String name;
    private final Endpoint self;
    private int sndNxt = ISN;
    private int rcvNxt;
    private int serverIsn;
    private Segment last;

    Client(Stage stage, String name, String endpoint) {
        this.stage = stage;
        this.name = name;
        this.self = Endpoint.parse(endpoint);
    }

    String name() {
        return name;
    }

    Endpoint endpoint() {
        return self;
    }

    /** The 4-tuple as the server's kernel writes it, remote-local. */
    String tuple() {
        return self + "-" + Stage.SERVER;
    }

    /** Learns from a segment the kernel sent to this client. */
    void observe(Segment segment) {
        if (segment.has(TcpFlags.SYN)) {
            serverIsn = segment.seq();
            rcvNxt = segment.seq() + 1;
        } else if (segment.length() > 0 && Seq.after(segment.seq() + segment.length(), rcvNxt)) {
            rcvNxt = segment.seq() + segment.length();
        }
    }

    PacketReport syn() {
        Segment syn = new Segment(self, Stage.SERVER, TcpFlags.SYN, sndNxt, 0, WINDOW, MSS, null);
        sndNxt += 1;
        return send(syn);
    }

    /** A SYN with a chosen sequence number, outside this client's own bookkeeping (an old or a new incarnation). */
    PacketReport synAt(int seq) {
        return send(new Segment(self, Stage.SERVER, TcpFlags.SYN, seq, 0, WINDOW, MSS, null));
    }

    /** The last segment again, as a delayed duplicate or a retransmission would bring it. */
    PacketReport resendLast() {
        return send(last);
    }

    private PacketReport send(Segment segment) {
        last = segment;
        return stage.inject(segment);
    }

    /** An ACK of everything received so far. */
    PacketReport ack() {
        return send(new Segment(self, Stage.SERVER, TcpFlags.ACK, sndNxt, rcvNxt, WINDOW, 0, null));
    }

    /** The three-way handshake: SYN, then the ACK of the SYN-ACK. */
    void connect() {
        syn();
        ack();
    }

    PacketReport data(String text) {
        return dataAcking(text, rcvNxt);
    }

    /** Data with a chosen acknowledgment number: what a client sends before a segment of ours has reached it. */
    PacketReport dataAcking(String text, int ack) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        Segment segment = new Segment(self, Stage.SERVER, TcpFlags.PSH | TcpFlags.ACK, sndNxt, ack, WINDOW, 0, bytes);
        sndNxt += bytes.length;
        return send(segment);
    }

    /** FIN acknowledging everything received so far (a FIN of ours, if any, included). */
    PacketReport fin() {
        return finAcking(rcvNxt);
    }

    /** FIN with a chosen acknowledgment number: below the server's FIN when the two FINs cross. */
    PacketReport finAcking(int ack) {
        Segment segment = new Segment(self, Stage.SERVER, TcpFlags.FIN | TcpFlags.ACK, sndNxt, ack, WINDOW, 0, null);
        sndNxt += 1;
        return send(segment);
    }

    int rcvNxt() {
        return rcvNxt;
    }

    int serverIsn() {
        return serverIsn;
    }
}
