package io.vkernel.kernel.link;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Ipv4;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * Moves bytes both ways over one connection between two members of a network, as two programs with non-blocking
 * sockets would: each side writes what fits, reads what arrived, then the network's clock moves one step. Used by
 * the lossy-link tests and the benchmark; not part of any request path.
 */
public final class BulkTransfer {

    private static final int CHUNK = 64 * 1024;

    private final Network network;
    private final Kernel client;
    private final Kernel server;
    private final int clientPid;
    private final int serverPid;
    private final int clientFd;
    private final int serverFd;

    /** Connects {@code client} to port {@code port} of {@code server} (a listener it opens), stepping the clock until established. */
    public BulkTransfer(Network network, Kernel client, Kernel server, int port, long stepMs, long maxMs) {
        this.network = network;
        this.client = client;
        this.server = server;
        this.serverPid = server.spawn("server").pid();
        int listenFd = (int) done(server.socket(serverPid)).ret();
        done(server.bind(serverPid, listenFd, Endpoint.parse("0.0.0.0:" + port)));
        done(server.listen(serverPid, listenFd, 16));
        done(server.fcntl(serverPid, listenFd, "F_SETFL", OpenFile.O_NONBLOCK));
        this.clientPid = client.spawn("client").pid();
        this.clientFd = (int) done(client.socket(clientPid)).ret();
        done(client.fcntl(clientPid, clientFd, "F_SETFL", OpenFile.O_NONBLOCK));
        SyscallResult connect = done(network.run(() -> client.connect(clientPid, clientFd,
                new Endpoint(server.address(), port), new PacketReport(null))));
        if (connect.ret() != 0 && connect.errno() != null && !connect.errno().name().equals("EINPROGRESS")) {
            throw new IllegalStateException("connect to " + Ipv4.format(server.address()) + ":" + port + " failed: " + connect.errno());
        }
        int accepted = -1;
        for (long waited = 0; accepted < 0 && waited <= maxMs; waited += stepMs) {
            accepted = (int) done(network.run(() -> server.accept(serverPid, listenFd))).ret();
            if (accepted < 0) {
                network.advance(stepMs);
            }
        }
        if (accepted < 0) {
            throw new IllegalStateException("no connection accepted within " + maxMs + " ms of network time");
        }
        this.serverFd = accepted;
        done(server.fcntl(serverPid, serverFd, "F_SETFL", OpenFile.O_NONBLOCK));
    }

    /** What each side read, and the network time the transfer took. */
    public record Result(byte[] readByServer, byte[] readByClient, long networkMs, boolean finished) {
    }

    /** Sends {@code toServer} from the client and {@code toClient} from the server at once, until both arrived or {@code maxMs} passed. */
    public Result exchange(byte[] toServer, byte[] toClient, long stepMs, long maxMs) {
        long start = network.now();
        Side up = new Side(client, clientPid, clientFd, toServer);
        Side down = new Side(server, serverPid, serverFd, toClient);
        ByteArrayOutputStream atServer = new ByteArrayOutputStream();
        ByteArrayOutputStream atClient = new ByteArrayOutputStream();
        while (atServer.size() < toServer.length || atClient.size() < toClient.length) {
            if (network.now() - start > maxMs) {
                return new Result(atServer.toByteArray(), atClient.toByteArray(), network.now() - start, false);
            }
            up.write();
            down.write();
            boolean progress = down.read(atServer) | up.read(atClient);
            if (!progress) {
                network.advance(stepMs);
            }
        }
        return new Result(atServer.toByteArray(), atClient.toByteArray(), network.now() - start, true);
    }

    private final class Side {
        final Kernel kernel;
        final int pid;
        final int fd;
        final byte[] data;
        int written;

        Side(Kernel kernel, int pid, int fd, byte[] data) {
            this.kernel = kernel;
            this.pid = pid;
            this.fd = fd;
            this.data = data;
        }

        void write() {
            while (written < data.length) {
                byte[] chunk = Arrays.copyOfRange(data, written, Math.min(data.length, written + CHUNK));
                SyscallResult result = done(network.run(() -> kernel.write(pid, fd, chunk, new PacketReport(null))));
                if (result.ret() <= 0) {
                    return;
                }
                written += (int) result.ret();
            }
        }

        /** Reads everything queued for this side into {@code into}; true if anything was read. */
        boolean read(ByteArrayOutputStream into) {
            boolean any = false;
            while (true) {
                SyscallResult result = done(network.run(() -> kernel.read(pid, fd, CHUNK)));
                if (result.ret() <= 0) {
                    return any;
                }
                into.write(result.data(), 0, result.data().length);
                any = true;
            }
        }
    }

    private static SyscallResult done(Syscalls.Outcome outcome) {
        if (outcome instanceof Syscalls.Done done) {
            return done.result();
        }
        throw new IllegalStateException("a non-blocking call blocked: " + outcome);
    }
}
