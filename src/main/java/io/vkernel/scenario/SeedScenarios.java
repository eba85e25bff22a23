package io.vkernel.scenario;

import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;

import static io.vkernel.scenario.Stage.seq;

/** The seed's "Example Scenarios" 1 to 4, played on a fresh kernel with Linux's outcome. */
final class SeedScenarios {

    private SeedScenarios() {
    }

    /** Scenario 1: three connections from one client, three FDs, three hash entries; a packet finds its own. */
    static void sameClient(Stage s) {
        int listener = s.listeningServer();
        Client[] conns = new Client[3];
        int[] fds = new int[3];
        for (int i = 0; i < 3; i++) {
            conns[i] = s.client("Connection " + (i + 1), "192.168.1.100:" + (54321 + i));
            s.at("t=" + (i + 1), i + 1);
            conns[i].connect();
            fds[i] = (int) s.accept(listener).ret();
            String narration = "Client A (192.168.1.100) opens connection " + (i + 1) + " from port " + (54321 + i)
                    + ". The 4-tuple 192.168.1.100:" + (54321 + i) + " -> 10.0.0.50:8080 hashes to "
                    + s.hashOf(conns[i]) + "; accept() gives it FD " + fds[i] + " (the seed's FD #" + (7 + i) + ").";
            if (i == 0) {
                narration += " The seed draws its hash as 0x1A2B.";
            } else {
                narration += " Only the source port differs from connection " + i + ", yet it is a different connection "
                        + "with its own socket, TCB, buffers and FD.";
            }
            if (i == 2) {
                narration += " The seed draws the three hashes as 0x1A2B, 0x1A2C, 0x1A2D. Its own hash_4tuple() cannot "
                        + "give that: (src_ip ^ src_port << 16 ^ dst_ip ^ dst_port) % 65536 throws the shifted source port "
                        + "away, so all three would land in the same bucket, " + Stage.seedBucket(conns[0]) + ", one chain "
                        + "of three; and being unkeyed and symmetric, anyone could aim connections at one bucket. Linux "
                        + "hashes with jhash keyed by a secret chosen at boot (inet_ehashfn()): here buckets "
                        + s.bucket(conns[0]) + ", " + s.bucket(conns[1]) + " and " + s.bucket(conns[2]) + ".";
            }
            s.step("Connection " + (i + 1) + ": 192.168.1.100:" + (54321 + i) + " gets FD " + fds[i], narration);
        }

        s.at("t=4", 4);
        PacketReport report = conns[1].data("GET /from-54322 HTTP/1.1\r\n\r\n");
        SyscallResult read = s.read(fds[1]);
        Tcb first = s.tcb(conns[0]);
        Tcb third = s.tcb(conns[2]);
        s.step("A packet with source port 54322 reaches FD " + fds[1] + " and only FD " + fds[1], "The seed: 'When packet "
                + "arrives with src_port=54322: hash to 0x1A2C, find Socket (FD #8)'. Here: " + s.hashOf(conns[1])
                + "; the kernel walks that bucket's chain comparing full 4-tuples (" + chain(report) + ") and finds the "
                + "socket FD " + fds[1] + " refers to. read(" + fds[1] + ") returns its " + read.ret() + " bytes; the "
                + "other two connections from the same client got nothing (Recv-Q " + first.receiveQueued() + " on FD "
                + fds[0] + " and " + third.receiveQueued() + " on FD " + fds[2] + ").");
    }

    /**
     * Scenario 2: the server closes first, its FD is reused at once by the next client while its TIME_WAIT keeps
     * the old 4-tuple in the hash table for 60 s.
     */
    static void fdReuse(Stage s) {
        int listener = s.listeningServer();
        Client a = s.client("Client A", "192.168.1.100:54321");
        Client b = s.client("Client B", "192.168.1.200:48000");

        s.at("t=0");
        a.connect();
        int fd = (int) s.accept(listener).ret();
        s.step("Client A connects: FD " + fd, "Client A's handshake completes (" + s.hashOf(a) + ") and accept() "
                + "returns FD " + fd + " (the seed's FD #7: Linux hands out the lowest free number).");

        s.at("t=1", 1);
        a.data("GET /index.html HTTP/1.1\r\n\r\n");
        s.read(fd);
        s.write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
        a.ack();
        s.step("Data exchange", "A request and its response: the request is routed by 4-tuple to the socket behind FD "
                + fd + " and read; the response is written, sent and acknowledged by Client A (ACK " + seq(a.rcvNxt())
                + "). Nothing is left in either buffer.");

        s.at("t=2", 2);
        s.close(fd);
        Tcb tcb = s.tcb(a);
        int finSeq = tcb.sndNxt() - 1;
        s.step("The server calls close(" + fd + "): FD " + fd + " is free at once", "close(" + fd + ") returns 0 at once "
                + "and FD " + fd + " is free. The kernel sends a FIN (seq " + seq(finSeq) + ") and the connection goes on "
                + "without an FD, an orphan in " + s.state(a) + ": the server closed first, so it is the active closer. "
                + "The seed shows 'FD #7 closing...'; the FD is in fact already gone, it is the connection that is closing.");

        s.at("t=2.1", 2.1);
        a.ack();
        String afterAck = s.state(a);
        a.fin();
        s.step("Client A acknowledges and closes too: the server's end enters TIME_WAIT", "Client A's ACK of our FIN "
                + "moves the connection to " + afterAck + "; Client A's own FIN (its application closed after reading "
                + "EOF) moves it to " + s.state(a) + ", and the kernel acknowledges it. The seed's t=2.1 says 'Removed "
                + "from hash table, buffers freed, TCB deleted'. On Linux the buffers are freed, but the connection stays "
                + "in the established hash table in TIME_WAIT for 60 s (" + s.hashOf(a) + ", timer " + timer(s, a) + "): it "
                + "answers late or duplicate segments for 192.168.1.100:54321 and keeps that 4-tuple from being reused. "
                + "Only the server, which closed first, waits in TIME_WAIT; Client A went CLOSE_WAIT -> LAST_ACK -> CLOSED.");

        s.at("t=3", 3);
        b.connect();
        SyscallResult reused = s.accept(listener);
        s.step("Client B connects and gets FD " + reused.ret() + " (reused) while A's 4-tuple is still in TIME_WAIT",
                "Client B's connection (" + s.hashOf(b) + ") is accepted at FD " + reused.ret() + ": the number Client "
                + "A's connection had one second ago, reused at once because it is the lowest free one. The hash table "
                + "now holds two entries: Client A's old 4-tuple in TIME_WAIT with no FD (bucket " + s.bucket(a) + ", "
                + timer(s, a) + ") and Client B's ESTABLISHED connection on FD " + reused.ret() + " (bucket "
                + s.bucket(b) + "). The seed's 'After t=2.1: 0x1A2B -> NULL (removed)' becomes true only when TIME_WAIT "
                + "ends; its 'After t=3: 0x5C3D -> Socket (FD #7, 192.168.1.200:48000)' is right: a new hash for a "
                + "different 4-tuple, the same FD number.");

        s.at("t=62.1", 62.1);
        s.step("60 s after the close, TIME_WAIT ends and A's 4-tuple leaves the hash table", "The TIME_WAIT timer fires "
                + "at t=62.1, 60 s after the connection entered TIME_WAIT: Linux's fixed TCP_TIMEWAIT_LEN, not the 2 x MSL = 4 "
                + "minutes of RFC 9293 nor the seed's '60-120 s'. Only now is 192.168.1.100:54321 -> 10.0.0.50:8080 "
                + "removed from bucket " + s.bucket(a) + "; Client B's connection on FD " + reused.ret() + " is untouched.");
    }

    /** Scenario 3: data from a client that has not seen the server's FIN yet gets RST. */
    static void packetAfterClose(Stage s) {
        int listener = s.listeningServer();
        Client a = s.client("Client A", "192.168.1.100:54321");

        s.at("t=0");
        int fd = s.established(a, listener, " (the seed's FD #7)");
        int ackBeforeFin = a.rcvNxt();

        s.at("t=1", 1);
        s.close(fd);
        Tcb tcb = s.tcb(a);
        s.step("The server calls close(" + fd + "): FD freed, FIN sent", "close(" + fd + ") frees FD " + fd + " and sends "
                + "a FIN (seq " + seq(tcb.sndNxt() - 1) + "). The seed says the socket is removed from the hash table at "
                + "this point. Linux keeps it: the connection is an orphan in " + s.state(a) + ", with no FD but still in "
                + "bucket " + s.bucket(a) + ", waiting for its FIN to be acknowledged.");

        s.at("t=1.1", 1.1); // before the FIN's first retransmission, one RTO (200 ms) after close()
        PacketReport late = a.dataAcking("more data", ackBeforeFin);
        Segment rst = late.sentSegments().isEmpty() ? null : late.sentSegments().get(0);
        s.step("Client A, not having seen the FIN, sends more data: RST", "100 ms later (the seed's t=2), "
                + "Client A's segment acknowledges only " + seq(ackBeforeFin) + ": our FIN has not reached it. The seed's kernel computes the hash, finds NULL and "
                + "sends RST. What Linux does: the lookup succeeds (" + s.hashOf(a) + " finds the orphan in FIN_WAIT1), "
                + "but its application has closed, so these 9 bytes can never be read: RFC 1122 says the kernel MUST reset "
                + "(tcp_rcv_state_process(), the TCPAbortOnData counter). It sends "
                + (rst == null ? "a RST" : "RST [" + TcpFlags.format(rst.flags()) + "] seq " + seq(rst.seq())
                + ", answering the segment itself (tcp_v4_send_reset(): <SEQ=SEG.ACK>)") + " and removes the connection at once: it is now "
                + s.state(a) + ", without a TIME_WAIT. Client A's kernel reports the reset to its application as "
                + "ECONNRESET, 'Connection reset by peer', as the seed says: the outcome is right, the reason differs.");

        s.at("t=2", 2);
        PacketReport again = a.resendLast();
        Segment second = again.sentSegments().isEmpty() ? null : again.sentSegments().get(0);
        s.step("A delayed copy of the segment: now the lookup really finds nothing", "A duplicate of the same segment "
                + "arrives late. Now the seed's picture is literal: " + s.hashOf(a) + " and that bucket holds no entry for "
                + "the 4-tuple. The segment falls through to the listener on 0.0.0.0:8080, and a listener answers any "
                + "segment that carries an ACK with a RST whose sequence number is the segment's ACK (RFC 9293 "
                + "§3.10.7.2): " + (second == null ? "RST" : "[" + TcpFlags.format(second.flags())
                + "] seq " + seq(second.seq())) + ". With no listener on the port the answer would be the same RST "
                + "(§3.10.7.1).");
    }

    /** Scenario 4: both sides close at once; CLOSING, then TIME_WAIT on both ends, for 60 s. */
    static void simultaneousClose(Stage s) {
        int listener = s.listeningServer();
        Client a = s.client("Client A", "192.168.1.100:54321");

        s.at("t=0");
        int fd = s.established(a, listener, "");

        s.at("t=1", 1);
        int clientAck = a.rcvNxt();
        s.close(fd);
        Tcb tcb = s.tcb(a);
        int ourFin = tcb.sndNxt() - 1;
        String finWait1 = s.state(a);
        a.finAcking(clientAck);
        s.step("Both call close(): the FINs cross", "The server's close(" + fd + ") frees FD " + fd + " and sends FIN seq "
                + seq(ourFin) + ": " + finWait1 + ". At the same moment Client A's application closes; its FIN left "
                + "before ours arrived, so it acknowledges only " + seq(clientAck) + ", not our FIN. A FIN that does not "
                + "acknowledge ours, received in FIN_WAIT1, is the simultaneous close of RFC 9293 (Figure 13): the "
                + "connection goes to " + s.state(a) + " and the kernel acknowledges Client A's FIN (ACK "
                + seq(tcb.rcvNxt()) + "). Client A, receiving our FIN in its own FIN_WAIT1, does the same.");

        a.ack();
        s.step("Each side's FIN is acknowledged: both ends in TIME_WAIT", "Client A's ACK " + seq(ourFin + 1) + " "
                + "acknowledges our FIN: CLOSING -> " + s.state(a) + " (timer " + timer(s, a) + "). Client A's end "
                + "got our ACK of its FIN in its CLOSING state and is in TIME_WAIT as well: both sides enter TIME_WAIT, "
                + "as the seed says, because the close was simultaneous. When one side closes first (scenario 2), only "
                + "that side waits in TIME_WAIT; the other goes CLOSE_WAIT -> LAST_ACK -> CLOSED. And on Linux TIME_WAIT "
                + "lasts 60 s (TCP_TIMEWAIT_LEN, fixed), not the seed's '2*MSL (60-120s)'.");

        s.at("t=31", 31);
        PacketReport old = a.synAt(Client.ISN);
        s.step("A SYN for the same 4-tuple while it is in TIME_WAIT", "A SYN from 192.168.1.100:54321 with the old "
                + "connection's initial sequence number " + Client.ISN + " finds the TIME_WAIT entry in bucket "
                + s.bucket(a) + ". It is below what the old connection reached (RCV.NXT " + seq(tcb.rcvNxt()) + "), so it "
                + "cannot start a new incarnation: the kernel answers with an ACK for the old connection ("
                + flags(old) + "), not a SYN-ACK. The 4-tuple is still taken, as the seed says. (Linux does let a SYN with "
                + "a higher sequence number reopen the 4-tuple early, RFC 9293 §3.6.1; a client's connect() from the "
                + "same port cannot reuse it before the 60 s are up unless tcp_tw_reuse allows it.)");

        s.at("t=60.999", 60.999);
        String still = s.state(a);
        String left = timer(s, a);
        s.at("t=61", 61);
        s.step("60 s after entering TIME_WAIT, the 4-tuple is free", "At t=60.999 the entry was still " + still + " ("
                + left + "); at t=61, 60 s after it entered TIME_WAIT, its timer fires and the connection leaves bucket "
                + s.bucket(a) + ": it is " + s.state(a) + ". Only now could 192.168.1.100:54321 -> 10.0.0.50:8080 be "
                + "used again by any connection.");
    }

    static String timer(Stage s, Client client) {
        return s.inspect(k -> {
            Tcb tcb = k.established().find(new FourTuple(client.endpoint(), Stage.SERVER));
            if (tcb == null || tcb.stateTimer() == null || tcb.stateTimer().isCancelled()) {
                return "no timer";
            }
            return tcb.stateTimer().name() + " in " + (tcb.stateTimer().deadline() - k.clock().now()) + " ms";
        });
    }

    static String chain(PacketReport report) {
        return report.steps().stream().filter(step -> step.step().equals("demux.chain")).map(step -> step.detail())
                .findFirst().orElse("chain not traced");
    }

    static String flags(PacketReport report) {
        return report.sentSegments().stream().map(segment -> segment.summary()).findFirst().orElse("nothing sent");
    }
}
