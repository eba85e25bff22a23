package io.vkernel.script;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;

/** Makes a script's {@link Call} on the kernel, as the process the runner spawned. */
final class ScriptCalls {

    private ScriptCalls() {
    }

    static Syscalls.Outcome invoke(Kernel kernel, int pid, Call call) {
        PacketReport report = new PacketReport(null);
        if (call instanceof Call.Socket c) {
            return kernel.socket(pid, c.protocol(), c.nonBlock());
        } else if (call instanceof Call.Bind c) {
            return kernel.bind(pid, c.fd(), c.address());
        } else if (call instanceof Call.Listen c) {
            return kernel.listen(pid, c.fd(), c.backlog());
        } else if (call instanceof Call.Accept c) {
            return kernel.accept(pid, c.fd());
        } else if (call instanceof Call.Disconnect c) {
            return kernel.disconnect(pid, c.fd(), report);
        } else if (call instanceof Call.Connect c) {
            return kernel.connect(pid, c.fd(), c.address(), report);
        } else if (call instanceof Call.Read c) {
            return c.recv() ? kernel.recv(pid, c.fd(), c.count(), c.flags()) : kernel.read(pid, c.fd(), c.count());
        } else if (call instanceof Call.RecvMsg c) {
            return kernel.recvmsg(pid, c.fd(), c.count(), c.flags());
        } else if (call instanceof Call.Write c) {
            return c.send() ? kernel.send(pid, c.fd(), c.data(), c.flags(), report) : kernel.write(pid, c.fd(), c.data(), report);
        } else if (call instanceof Call.SendMsg c) {
            return kernel.sendmsg(pid, c.fd(), c.data(), c.iov(), c.flags(), report);
        } else if (call instanceof Call.SendTo c) {
            return kernel.sendto(pid, c.fd(), c.data(), c.flags(), c.address(), c.unspec(), report);
        } else if (call instanceof Call.NullBuffer c) {
            return kernel.nullBuffer(pid, c.call(), c.fd(), c.count(), c.flags(), c.address(), report);
        } else if (call instanceof Call.Poll c) {
            return kernel.poll(pid, c.fds(), c.timeoutMs());
        } else if (call instanceof Call.Close c) {
            return kernel.close(pid, c.fd(), report);
        } else if (call instanceof Call.Shutdown c) {
            return kernel.shutdown(pid, c.fd(), c.how(), report);
        } else if (call instanceof Call.Fcntl c) {
            return kernel.fcntl(pid, c.fd(), c.command(), c.flags());
        } else if (call instanceof Call.SetSockOpt c) {
            return kernel.setsockopt(pid, c.fd(), c.option(), c.value(), c.on());
        } else if (call instanceof Call.SetSockOptBytes c) {
            return kernel.setsockopt(pid, c.fd(), c.option(), c.value());
        } else if (call instanceof Call.GetSockOpt c) {
            return kernel.getsockopt(pid, c.fd(), c.option());
        } else if (call instanceof Call.Ioctl c) {
            return kernel.ioctl(pid, c.fd(), c.request());
        } else if (call instanceof Call.Dup c) {
            return kernel.dup(pid, c.fd());
        } else if (call instanceof Call.Dup2 c) {
            return kernel.dup2(pid, c.oldFd(), c.newFd(), report);
        } else if (call instanceof Call.EpollCreate c) {
            return kernel.epollCreate(pid, c.size());
        } else if (call instanceof Call.EpollCtl c) {
            return kernel.epollCtl(pid, c.epfd(), c.op(), c.fd(), c.events(), c.data());
        } else if (call instanceof Call.EpollWait c) {
            return kernel.epollWait(pid, c.epfd(), c.maxEvents(), c.timeoutMs());
        } else if (call instanceof Call.Open c) {
            return kernel.open(pid, c.path(), c.flags());
        } else if (call instanceof Call.Lseek c) {
            return kernel.lseek(pid, c.fd(), c.offset(), c.whence());
        } else if (call instanceof Call.Pipe) {
            return kernel.pipe(pid, 0);
        } else if (call instanceof Call.SendFile c) {
            return kernel.sendfile(pid, c.outFd(), c.inFd(), c.offset(), c.count(), report);
        } else if (call instanceof Call.Splice c) {
            return kernel.splice(pid, c.inFd(), c.outFd(), c.len(), c.flags(), report);
        }
        throw new IllegalStateException("unhandled call " + call);
    }
}
