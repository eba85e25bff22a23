package io.vkernel.kernel;

import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.proc.Task;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel's invariants, checked on demand: the hash table's structure, hash entries ↔ live sockets, FDs ↔ open
 * files and their reference counts, listeners ↔ their queues, sleeping threads ↔ wait queues, queues within their
 * bounds. A violation names the structure and the value that is wrong. Linear in the kernel's size: each structure is
 * walked once, with lookups by key.
 */
public final class KernelCheck {

    /** The outcome: how many of each structure were checked, and what is wrong (empty when the kernel is sound). */
    public record Result(Map<String, Integer> checked, List<String> violations) {
        public boolean ok() {
            return violations.isEmpty();
        }
    }

    private KernelCheck() {
    }

    /** Call with the kernel lock held (through {@link Kernel#inspect}). */
    public static Result run(Kernel kernel) {
        List<String> violations = new ArrayList<>(kernel.established().verify());
        Map<String, Integer> checked = new LinkedHashMap<>();
        List<Tcb> hashed = kernel.established().all();
        checked.put("hashEntries", hashed.size());

        for (Tcb tcb : hashed) {
            if (tcb.state() == TcpState.CLOSE || tcb.state() == TcpState.LISTEN) {
                violations.add(tcb.tuple() + " is in the established table in state " + tcb.state());
            }
            if (tcb.socket() != null && tcb.socket().tcb() != tcb) {
                violations.add(tcb.tuple() + "'s socket:[" + tcb.socket().inode() + "] points at another TCB");
            }
            if (tcb.receiveQueued() > tcb.rcvBufLimit()) {
                violations.add(tcb.tuple() + " holds " + tcb.receiveQueued() + " received bytes, above its limit " + tcb.rcvBufLimit());
            }
            if (tcb.state() == TcpState.SYN_RECV && tcb.listener() != null && !kernel.listeners().contains(tcb.listener())) {
                violations.add(tcb.tuple() + " is a request for a listener that no longer listens");
            }
        }

        // FDs ↔ open files: each open file's reference count equals the FD slots that hold it
        Map<OpenFile, Integer> references = new IdentityHashMap<>();
        int fds = 0;
        for (Process process : kernel.processes()) {
            for (Map.Entry<Integer, OpenFile> entry : process.fds().entries().entrySet()) {
                fds++;
                references.merge(entry.getValue(), 1, Integer::sum);
            }
            if (process.fds().openCount() != process.fds().entries().size()) {
                violations.add("pid " + process.pid() + " counts " + process.fds().openCount() + " open FDs but its table holds "
                        + process.fds().entries().size());
            }
        }
        checked.put("fds", fds);
        checked.put("openFiles", references.size());
        references.forEach((file, count) -> {
            if (file.refCount() != count) {
                violations.add(file.path() + " has reference count " + file.refCount() + " but " + count + " FDs point at it");
            }
            Socket socket = file.socket();
            if (socket == null) {
                return;
            }
            if (socket.isReleased()) {
                violations.add(file.path() + " is open but its socket was already released");
            }
            if (socket.isListening() && !kernel.listeners().contains(socket)) {
                violations.add(file.path() + " is listening but missing from the listener table");
            }
            Tcb tcb = socket.tcb();
            if (tcb != null && tcb.state() != TcpState.CLOSE && kernel.established().find(tcb.tuple()) != tcb) {
                violations.add(file.path() + "'s connection " + tcb.tuple() + " in " + tcb.state() + " is missing from the established table");
            }
        });

        // listeners ↔ their queues (SYN_RECV requests counted per listener in one pass over the table)
        Map<Socket, Integer> requestsByListener = new IdentityHashMap<>();
        for (Tcb tcb : hashed) {
            if (tcb.state() == TcpState.SYN_RECV && tcb.listener() != null) {
                requestsByListener.merge(tcb.listener(), 1, Integer::sum);
            }
        }
        int listeners = 0;
        for (Socket listener : kernel.listeners().all()) {
            listeners++;
            if (!listener.isListening()) {
                violations.add(listener.local() + " is in the listener table but not listening");
            }
            if (listener.acceptQueue().size() > listener.backlog() + 1) {
                violations.add(listener.local() + "'s accept queue holds " + listener.acceptQueue().size() + ", above backlog+1 = "
                        + (listener.backlog() + 1));
            }
            int requests = requestsByListener.getOrDefault(listener, 0);
            if (requests != listener.synRecv()) {
                violations.add(listener.local() + " counts " + listener.synRecv() + " SYN_RECV requests but the table holds " + requests);
            }
            for (Tcb child : listener.acceptQueue()) {
                if (child.socket() != null) {
                    violations.add(child.tuple() + " is in the accept queue but already has a socket");
                }
                if (child.state() != TcpState.CLOSE && kernel.established().find(child.tuple()) != child) {
                    violations.add(child.tuple() + " is in the accept queue but not in the established table");
                }
            }
        }
        checked.put("listeners", listeners);

        // sleeping threads ↔ wait queues
        int sleeping = 0;
        for (PendingCall call : kernel.pendingCalls()) {
            sleeping++;
            Process process = kernel.process(call.pid());
            if (process == null) {
                violations.add("call " + call.id() + " sleeps for pid " + call.pid() + ", which has exited");
                continue;
            }
            Task thread = process.thread(call.tid());
            boolean asleep = thread != null && thread.state() == Task.State.SLEEPING;
            if (!asleep) {
                violations.add("call " + call.id() + " (" + call.call() + ") is pending but thread " + call.tid() + " is not SLEEPING");
            }
        }
        checked.put("sleepingCalls", sleeping);
        return new Result(checked, violations);
    }
}
