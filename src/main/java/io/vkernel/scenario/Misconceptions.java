package io.vkernel.scenario;

import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.trace.PacketReport;

import static io.vkernel.scenario.Stage.seq;

/** The seed's four "Common Misconceptions", each shown wrong on a running kernel. */
final class Misconceptions {

    private Misconceptions() {
    }

    /** #1: the FD does not route packets — data reaches a connection that has no FD, and one socket with two FDs. */
    static void fdRoutesPackets(Stage s) {
        int listener = s.listeningServer();
        Client a = s.client("Client A", "192.168.1.100:54321");

        s.at("t=1", 1);
        a.connect();
        s.step("Client A connects; the server has not called accept() yet", "The handshake completes in the kernel: "
                + "the connection is " + s.state(a) + " in the hash table (" + s.hashOf(a) + ") and waits in the accept "
                + "queue. No FD refers to it: FDs are handed out by accept(), and the server has not called it.");

        s.at("t=2", 2);
        PacketReport early = a.data("GET /early");
        Tcb tcb = s.tcb(a);
        s.step("Data arrives for a connection that has no FD: it is delivered anyway", "The kernel extracts the 4-tuple, "
                + "computes " + s.hashOf(a) + ", walks the chain (" + SeedScenarios.chain(early) + ") and finds the "
                + "connection, owned by '" + s.inspect(k -> k.ownerOf(tcb)) + "'. The 10 bytes are queued (Recv-Q "
                + tcb.receiveQueued() + ") and acknowledged (ACK " + seq(tcb.rcvNxt()) + "). There was no FD to look up: "
                + "the seed's wrong version, 'kernel looks up FD #7 to route the packet', could not even start.");

        s.at("t=3", 3);
        int fd = (int) s.accept(listener).ret();
        SyscallResult read = s.read(fd);
        s.step("accept() gives FD " + fd + "; read() returns what arrived before the FD existed", "accept() installs the "
                + "connection at FD " + fd + " and read(" + fd + ") returns the " + read.ret() + " bytes that were routed "
                + "to it before FD " + fd + " existed. The FD is the program's handle on the socket; the socket was "
                + "already there, found by its 4-tuple.");

        s.at("t=4", 4);
        int copy = (int) s.dup(fd).ret();
        a.data("GET /more");
        SyscallResult viaCopy = s.read(copy);
        s.step("dup(" + fd + ") = " + copy + ": two FDs, one socket, one hash entry", "dup(" + fd + ") returns " + copy
                + ": a second FD for the same open file and socket. Client A's next segment is routed the same way ("
                + s.hashOf(a) + ") to the one socket; the kernel did not choose between FD " + fd + " and FD " + copy
                + ", and read(" + copy + ") returns the " + viaCopy.ret() + " bytes. The hash table maps 4-tuple -> "
                + "socket; the FD table maps FD -> open file -> socket. Both arrows end at the socket, and a socket does "
                + "not know its FD numbers (ss -p finds them by scanning /proc/PID/fd).");
    }

    /** #2: the same client does not keep the same FD — three ports, three FDs, and FD numbers move between clients. */
    static void sameClientSameFd(Stage s) {
        int listener = s.listeningServer();
        Client[] a = new Client[3];
        int[] fds = new int[3];
        s.at("t=1", 1);
        for (int i = 0; i < 3; i++) {
            a[i] = s.client("Client A:" + (54321 + i), "192.168.1.100:" + (54321 + i));
            a[i].connect();
            fds[i] = (int) s.accept(listener).ret();
        }
        s.step("One client, three connections, three FDs", "Client 192.168.1.100 opens three connections from ports "
                + "54321, 54322 and 54323. Each is its own 4-tuple, hash entry (buckets " + s.bucket(a[0]) + ", "
                + s.bucket(a[1]) + ", " + s.bucket(a[2]) + ") and socket, and accept() gives them FDs " + fds[0] + ", "
                + fds[1] + " and " + fds[2] + " (the seed's list says 7, 8, 9; Linux hands out the lowest free numbers). "
                + "'Client 192.168.1.100 always uses FD #7' is wrong already: it uses three.");

        s.at("t=2", 2);
        a[1].fin();
        s.read(fds[1]);
        s.close(fds[1]);
        a[1].ack();
        s.step("The connection from port 54322 ends: FD " + fds[1] + " is free", "The client closes its second "
                + "connection (FIN), the server reads EOF and calls close(" + fds[1] + "); after the client's last ACK the "
                + "connection is " + s.state(a[1]) + ". FD " + fds[1] + " is free; FDs " + fds[0] + " and " + fds[2]
                + " still belong to the client's other two connections.");

        Client b = s.client("Client B", "192.168.1.200:48000");
        s.at("t=3", 3);
        b.connect();
        int fdB = (int) s.accept(listener).ret();
        s.step("Client B connects and gets FD " + fdB, "A different client, 192.168.1.200:48000, gets FD " + fdB
                + ": the number Client 192.168.1.100 used a second ago. accept() gives the lowest free number, whoever is "
                + "connecting; the FD says nothing about the client.");

        Client again = s.client("Client A again", "192.168.1.100:54324");
        s.at("t=4", 4);
        again.connect();
        int fdAgain = (int) s.accept(listener).ret();
        s.step("Client A reconnects and gets FD " + fdAgain, "Client 192.168.1.100 reconnects, from a new ephemeral port, "
                + "54324 (its own kernel holds 54322 in TIME_WAIT for a minute, since it closed first). A new 4-tuple ("
                + s.hashOf(again) + "), a new connection with a new ISN (" + seq(again.serverIsn()) + ") and a new FD, "
                + fdAgain + ", the lowest free number now. Same client, a different FD; and FD " + fds[1] + ", which it "
                + "had a moment ago, belongs to Client B.");
    }

    /** #3: close() is not instantaneous — the FD goes at once, the connection lingers in FIN_WAIT and TIME_WAIT. */
    static void closeIsInstantaneous(Stage s) {
        int listener = s.listeningServer();
        Client a = s.client("Client A", "192.168.1.100:54321");

        s.at("t=0");
        int fd = s.established(a, listener, "");

        s.at("t=1", 1);
        s.close(fd);
        Tcb tcb = s.tcb(a);
        s.step("close(" + fd + ") returns at once; the connection does not end", "close(" + fd + ") returns 0 "
                + "immediately and FD " + fd + " is free: the part of the seed's 'FD may be freed quickly' that is true. "
                + "The kernel has only begun: it sent FIN seq " + seq(tcb.sndNxt() - 1) + " and the connection, now an "
                + "orphan with no FD, is in " + s.state(a) + " in bucket " + s.bucket(a) + ", waiting for the peer.");

        s.at("t=1.05", 1.05);
        a.ack();
        s.step("The peer acknowledges the FIN: FIN_WAIT2", "Client A's ACK of our FIN moves the connection to "
                + s.state(a) + ". Client A has not closed its side yet, so we wait for its FIN. An orphan does not wait "
                + "forever: net.ipv4.tcp_fin_timeout (60 s) bounds FIN_WAIT2 for a connection nobody holds ("
                + SeedScenarios.timer(s, a) + ").");

        s.at("t=5", 5);
        a.fin();
        s.step("The peer closes 4 s later: TIME_WAIT for 60 s", "Client A's FIN arrives; the kernel acknowledges it and "
                + "enters " + s.state(a) + " (" + SeedScenarios.timer(s, a) + "). The seed's list has the right order: "
                + "FIN, wait for the peer, TIME_WAIT, then free. On Linux TIME_WAIT lasts exactly 60 s (not '60-120 s') and "
                + "holds the 4-tuple in the hash table without buffers.");

        s.at("t=65", 65);
        s.step("64 s after close(), the connection is gone", "The TIME_WAIT timer fires at t=65 and the connection "
                + "leaves bucket " + s.bucket(a) + " (" + s.state(a) + "). close() took no time at all for the program; "
                + "the connection took 64 s to disappear.");

        Client b = s.client("Client B", "192.168.1.200:48000");
        s.at("t=70", 70);
        b.connect();
        int fdB = (int) s.accept(listener).ret();
        s.close(fdB);
        b.ack();
        s.step("Another close: the peer acknowledges but never sends its FIN", "Client B connects (FD " + fdB + "), the "
                + "server closes, and Client B acknowledges the FIN but keeps its side open. The orphan waits in "
                + s.state(b) + " (" + SeedScenarios.timer(s, b) + ").");

        s.at("t=130", 130);
        s.step("tcp_fin_timeout: the orphaned FIN_WAIT2 is dropped after 60 s", "With no FIN from Client B in 60 s "
                + "(net.ipv4.tcp_fin_timeout), the kernel gives the orphan up: " + s.state(b) + ", with no TIME_WAIT and "
                + "nothing sent. The seed's '(may take seconds)' can be a minute, or longer when the peer is silent and the "
                + "application still holds the socket.");
    }

    /** #4: the FD does not identify the client — it names a connection, for now, in this process. */
    static void fdIdentifiesClient(Stage s) {
        int listener = s.listeningServer();
        Client first = s.client("Client A", "192.168.1.100:54321");
        Client second = s.client("Client A, new port", "192.168.1.100:54322");
        Client c = s.client("Client C", "192.168.1.150:55555");

        s.at("t=1", 1);
        first.connect();
        int fd = (int) s.accept(listener).ret();
        s.step("FD " + fd + " = 192.168.1.100:54321 -> 10.0.0.50:8080", "FD " + fd + " refers to one TCP connection, "
                + "192.168.1.100:54321 -> 10.0.0.50:8080 (" + s.hashOf(first) + "), not to 'Client A'. The seed's "
                + "example number is 7; Linux gives " + fd + ".");

        s.at("t=2", 2);
        second.connect();
        int fd2 = (int) s.accept(listener).ret();
        s.step("The same client connects from another port: FD " + fd2, "192.168.1.100 connects again from port "
                + "54322: a different 4-tuple (" + s.hashOf(second) + "), a completely new connection and a new FD, "
                + fd2 + ", as the seed says.");

        s.at("t=3", 3);
        s.close(fd);
        first.ack();
        first.fin();
        s.step("The server closes FD " + fd, "close(" + fd + ") frees the number; the connection to 192.168.1.100:54321 "
                + "finishes on its own and is in " + s.state(first) + " with no FD.");

        s.at("t=4", 4);
        c.connect();
        int reused = (int) s.accept(listener).ret();
        s.step("FD " + reused + " now means 192.168.1.150:55555", "Client C (192.168.1.150:55555) is accepted at FD "
                + reused + ". The same number that meant 192.168.1.100:54321 a second ago now names a connection to "
                + "another host, while the old 4-tuple still sits in the hash table in TIME_WAIT. An FD is an index into "
                + "this process's table, reused lowest-first.");

        s.at("t=5", 5);
        int copy = (int) s.dup(fd2).ret();
        s.step("dup(" + fd2 + ") = " + copy + ": one connection, two FDs", "dup(" + fd2 + ") gives the connection to "
                + "192.168.1.100:54322 a second number, " + copy + ". One connection can have several FDs (dup, fork), "
                + "or none at all: every connection while it waits in the accept queue, and after close(), like the "
                + "TIME_WAIT entry for 192.168.1.100:54321. The 4-tuple identifies the connection; "
                + "the FD is a per-process handle on it.");
    }
}
