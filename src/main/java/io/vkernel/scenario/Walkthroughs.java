package io.vkernel.scenario;

import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.trace.PacketReport;

import static io.vkernel.scenario.Stage.seq;

/**
 * The seed's two walk-throughs of a connection's life: "The Big Picture" (a request arrives and wakes a blocked
 * read, the six steps of its path) and the server-side FD assignment timeline (t=0 to t=6, FD reuse).
 */
final class Walkthroughs {

    /** The seed's "245 bytes": an HTTP request of exactly that size. */
    static final String REQUEST = "GET /hello HTTP/1.1\r\nHost: 10.0.0.50:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n"
            + "Accept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n"
            + "Cache-Control: no-cache\r\nCookie: session=5f3a9c0e7b21d4886ae0c37f19b2d5e\r\n\r\n";

    private Walkthroughs() {
    }

    static void bigPicture(Stage s) {
        int listener = s.listeningServer();
        Client a = s.client("Client A", "192.168.1.100:54321");

        s.at("t=1", 1);
        a.connect();
        int fd = (int) s.accept(listener).ret();
        s.step("Client A connects; accept() gives the connection FD " + fd, "Client A's SYN finds no connection for its "
                + "4-tuple, so the listener on 0.0.0.0:8080 takes it: the kernel creates a request in SYN_RECV, inserts it "
                + "into the established hash table (" + s.hashOf(a) + ") and answers with a SYN-ACK carrying its initial "
                + "sequence number " + seq(a.serverIsn()) + ". Client A's ACK " + seq(a.serverIsn() + 1) + " completes the "
                + "handshake inside the kernel: the connection is ESTABLISHED and waits in the accept queue, with no FD. "
                + "accept() takes it and installs it at the lowest free FD, " + fd + ". The seed's diagrams call this "
                + "connection FD #7 with 4, 5 and 6 free; Linux always hands out the lowest free number, so it is " + fd + ".");

        s.at("t=2", 2);
        PendingCall read = s.readBlocking(fd);
        s.step("read(" + fd + ") blocks: the thread sleeps on the socket's wait queue", "Nothing has arrived yet, so read("
                + fd + ") cannot return. The server's thread " + read.tid() + " goes to sleep in " + read.waitChannel()
                + ", queued on the wait queue of the socket FD " + fd + " refers to: the seed's step 6, 'Thread State: "
                + "SLEEPING, Blocked on: Read(FD #7)'. A sleeping thread uses no CPU; only the kernel can wake it.");

        s.at("t=3", 3);
        PacketReport report = a.data(REQUEST);
        SyscallResult got = read.result();
        Tcb tcb = s.tcb(a);
        int length = REQUEST.length();
        s.step("The request arrives and the blocked read() wakes with " + got.ret() + " bytes", "The seed's six steps, with "
                + "this packet's values. 1. The NIC receives the " + (40 + length) + "-byte packet (20 IPv4 + 20 TCP + "
                + length + " payload) and copies it into kernel memory. 2. IP validation: 10.0.0.50 is this host and the "
                + "protocol is TCP. 3. The 4-tuple is extracted: 192.168.1.100:54321 -> 10.0.0.50:8080. 4. Demux: "
                + s.hashOf(a) + "; that bucket's chain holds the connection, ESTABLISHED, held by pid " + s.pid() + " fd "
                + fd + ". The socket was found by its 4-tuple; the FD number played no part (the kernel finds 'fd " + fd
                + "' only to tell you, by looking through the process's FD table as lsof does). 5. The " + length
                + " bytes (seq " + seq(Client.ISN + 1) + " to " + seq(Client.ISN + length) + ") are appended to the "
                + "receive buffer, RCV.NXT becomes " + seq(tcb.rcvNxt()) + " and an ACK " + seq(tcb.rcvNxt()) + " goes back "
                + "to Client A. 6. The thread sleeping in read(" + fd + ") is woken (" + String.join(", ", report.woken())
                + "); read() copies the bytes out and returns " + got.ret() + ". The seed sizes each buffer at 64 KB and a "
                + "connection at ~131 KB; Linux reserves nothing up front: this receive buffer's limit is "
                + tcb.rcvBufLimit() + " bytes (tcp_rmem default) but only queued bytes are charged, " + length
                + " while they waited and 0 now that read() took them.");

        s.at("t=4", 4);
        s.write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        a.ack();
        s.step("The server answers; Client A acknowledges", "write(" + fd + ") copies the response into the socket's send "
                + "buffer and TCP sends it at once in one segment (seq " + seq(tcb.iss() + 1) + ", within Client A's "
                + "window and MSS 1460). The bytes stay in the send buffer (Send-Q) until Client A's ACK " + seq(tcb.sndNxt())
                + " arrives; then they are released. Sending needs no lookup at all: the socket behind FD " + fd
                + " already knows its 4-tuple.");
    }

    static void fdTimeline(Stage s) {
        int listener = s.serverListens();
        PendingCall firstAccept = s.acceptBlocking(listener);
        s.at("t=0");
        s.step("Server starts: FD " + listener + " = listening socket; accept() blocks", "The server process (pid "
                + s.pid() + ") has FDs 0, 1, 2; socket() returns " + listener + ", bind() and listen() make it a listener on "
                + "0.0.0.0:8080. Its accept(" + listener + ") finds the accept queue empty, so thread " + firstAccept.tid()
                + " sleeps in " + firstAccept.waitChannel() + " on the listener's wait queue: the seed's "
                + "'listener.Accept() blocks'.");

        Client a = s.client("Client A", "192.168.1.100:54321");
        s.at("t=1 - t=1.1", 1);
        a.syn();
        String synRecv = s.state(a);
        a.ack();
        int fdA = (int) firstAccept.result().ret();
        s.step("Client A connects; accept() returns FD " + fdA, "Client A's SYN creates a request in " + synRecv
                + " (" + s.hashOf(a) + ") and the kernel answers SYN-ACK (ISN " + seq(a.serverIsn()) + "). The ACK "
                + "completes the three-way handshake in the kernel, without the application: the connection is ESTABLISHED "
                + "and joins the accept queue, and the kernel wakes the sleeping accept(). accept() dequeues it and only now "
                + "is an FD assigned: the lowest free number, " + fdA + ". The seed's timeline says FD 7 at t=1.1; Linux "
                + "gives " + fdA + ", because 4, 5 and 6 are free.");

        Client b = s.client("Client B", "192.168.1.200:48000");
        s.at("t=2", 2);
        PendingCall secondAccept = s.acceptBlocking(listener);
        b.connect();
        int fdB = (int) secondAccept.result().ret();
        s.step("Client B connects; accept() returns FD " + fdB, "The server loops back into accept(), which sleeps again; "
                + "Client B's handshake (" + s.hashOf(b) + ") wakes it and it returns FD " + fdB + ", the next lowest free "
                + "number (the seed's FD 8). Two connections to the same server port 8080, told apart by their 4-tuples.");

        s.at("t=3", 3);
        a.data("GET /a HTTP/1.1\r\n\r\n");
        SyscallResult readA = s.read(fdA);
        s.step("Client A sends data: routed by 4-tuple to FD " + fdA + "'s buffer", "The segment from 192.168.1.100:54321 "
                + "is routed by its 4-tuple: " + s.hashOf(a) + ", where the chain holds Client A's connection. Its "
                + readA.ret() + " bytes go into that socket's receive buffer, and read(" + fdA + ") returns them. The kernel "
                + "looked up the 4-tuple, not FD " + fdA + ".");

        s.at("t=4", 4);
        b.data("GET /b HTTP/1.1\r\n\r\n");
        SyscallResult readB = s.read(fdB);
        s.step("Client B sends data: routed by 4-tuple to FD " + fdB + "'s buffer", "The same for Client B: " + s.hashOf(b)
                + ". A different 4-tuple lands in a different bucket (" + s.bucket(b) + " against " + s.bucket(a) + "), "
                + "and the " + readB.ret() + " bytes are read from FD " + fdB + ".");

        s.at("t=5", 5);
        a.fin();
        String afterFin = s.state(a);
        SyscallResult eof = s.read(fdA);
        s.close(fdA);
        String afterClose = s.state(a);
        s.step("Client A closes; the server's close(" + fdA + ") frees FD " + fdA + " at once", "Client A's FIN moves "
                + "the connection to " + afterFin + " and read(" + fdA + ") returns " + eof.ret() + " (end of file). The "
                + "server then calls close(" + fdA + "): FD " + fdA + " is free immediately, and the kernel sends its own FIN; "
                + "the connection, now without an FD, is in " + afterClose + ", waiting for Client A to acknowledge that FIN. "
                + "It is still in the hash table (bucket " + s.bucket(a) + ").");

        s.at("t=5.1", 5.1);
        a.ack();
        s.step("Client A's last ACK: the connection leaves the hash table", "The ACK of the server's FIN ends the "
                + "connection: LAST_ACK -> CLOSED, removed from bucket " + s.bucket(a) + ", buffers freed. No TIME_WAIT on "
                + "the server: Client A closed first, so it is Client A's kernel that waits in TIME_WAIT, not this one.");

        Client c = s.client("Client C", "192.168.1.150:55555");
        s.at("t=6", 6);
        c.connect();
        SyscallResult reused = s.accept(listener);
        s.step("Client C connects and gets FD " + reused.ret() + ": the number is reused", "Client C's handshake completes "
                + "(" + s.hashOf(c) + ") and accept() returns FD " + reused.ret() + ", the lowest free number again: the "
                + "number Client A's connection had. The seed's 'FD 7 = Client C (FD #7 reused!)' is right about reuse; on "
                + "Linux the number is " + reused.ret() + ". Same FD, a different connection: a program that kept FD "
                + fdA + " around as 'Client A' would now be talking to Client C.");
    }
}
