package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.proc.SocketQueues;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;

import java.util.Map;

import static io.vkernel.api.TextColumns.Align.LEFT;
import static io.vkernel.api.TextColumns.Align.RIGHT;

/**
 * A process's FD table as {@code lsof -nP -p PID} prints it (numeric addresses and ports). lsof finds a socket's
 * addresses by its inode in /proc/net/tcp: a listener or connection that is there prints as {@code IPv4} with its
 * NAME; a socket that is not (never bound, only bound, or whose connection was reset or went to TIME_WAIT)
 * prints as {@code sock ... protocol: TCP}, as on Linux.
 */
final class LsofText {

    /** lsof prints COMMAND's first nine characters unless told otherwise ({@code +c}). */
    private static final int COMMAND_CHARS = 9;

    private LsofText() {
    }

    static String render(Kernel kernel, Process process) {
        TextColumns table = new TextColumns(false,
                new TextColumns.Column("COMMAND", LEFT, ""),
                new TextColumns.Column("PID", RIGHT, " "),
                new TextColumns.Column("USER", RIGHT, " "),
                new TextColumns.Column("FD", RIGHT, " ", 4),
                new TextColumns.Column("", LEFT, "", 2),
                new TextColumns.Column("TYPE", RIGHT, " "),
                new TextColumns.Column("DEVICE", RIGHT, " "),
                new TextColumns.Column("SIZE/OFF", RIGHT, " "),
                new TextColumns.Column("NODE", RIGHT, " "),
                new TextColumns.Column("NAME", LEFT, " "));
        String command = process.name().length() > COMMAND_CHARS ? process.name().substring(0, COMMAND_CHARS) : process.name();
        for (Map.Entry<Integer, OpenFile> entry : process.fds().entries().entrySet()) {
            OpenFile file = entry.getValue();
            String fd = fdNumber(entry.getKey());
            String mode = access(file) + " ";
            String pid = String.valueOf(process.pid());
            Socket socket = file.socket();
            if (file.epoll() != null) {
                table.row(command, pid, "root", fd, mode, "a_inode", "0,14", "0", String.valueOf(file.epoll().inode()), "[eventpoll]");
            } else if (file.node() != null) {
                // lsof: a regular file's SIZE/OFF is its size, NODE its inode on tmpfs (device 0,33 here)
                table.row(command, pid, "root", fd, mode, "REG", "0,33", String.valueOf(file.node().size()),
                        String.valueOf(file.node().inode()), file.path());
            } else if (file.pipe() != null) {
                table.row(command, pid, "root", fd, mode, "FIFO", "0,13", "0t0", String.valueOf(file.pipe().inode()), "pipe");
            } else if (socket == null) {
                table.row(command, pid, "root", fd, mode, "CHR", "136,0", "0t0", "3", "/dev/pts/0");
            } else {
                String name = inetName(kernel, socket);
                if (name == null) {
                    table.row(command, pid, "root", fd, mode, "sock", "0,9", "0t0", String.valueOf(socket.inode()), "protocol: TCP");
                } else {
                    table.row(command, pid, "root", fd, mode, "IPv4", String.valueOf(socket.inode()), "0t0", "TCP", name);
                }
            }
        }
        return table.render();
    }

    /** lsof's FD column holds four characters; a larger number keeps its last three behind a '*'. */
    private static String fdNumber(int fd) {
        String text = String.valueOf(fd);
        return text.length() > 4 ? "*" + text.substring(text.length() - 3) : text;
    }

    /** The access mode from the open file's flags: r, w or u (read and write). */
    private static char access(OpenFile file) {
        return switch (file.flags() & 03) {
            case 0 -> 'r';
            case 1 -> 'w';
            default -> 'u';
        };
    }

    /** NAME for a socket lsof finds in /proc/net/tcp, or null when it is not there. */
    private static String inetName(Kernel kernel, Socket socket) {
        if (socket.isListening() && kernel.listeners().contains(socket)) {
            String local = socket.local().isWildcard() ? "*:" + socket.local().port() : socket.local().toString();
            return local + " (LISTEN)";
        }
        Tcb tcb = socket.tcb();
        if (tcb == null || tcb.state() == TcpState.CLOSE || SocketQueues.fileSocket(tcb) != socket) {
            return null;
        }
        return tcb.tuple().local() + "->" + tcb.tuple().remote() + " (" + tcb.state().name() + ")";
    }
}
