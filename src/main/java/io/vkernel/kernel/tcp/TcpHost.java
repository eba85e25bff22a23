package io.vkernel.kernel.tcp;

import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.trace.EventText;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Segment;

/** What the TCP engine needs from the kernel around it: a way to send, to record events and to wake sleepers. */
public interface TcpHost {

    void transmit(Segment segment, PacketReport report);

    void event(EventType type, String subject, String detail);

    /** The same event with a detail written when read ({@link EventText}: the same text, the same bytes charged). */
    void event(EventType type, String subject, EventText detail);

    /** Counts one occurrence of a MIB counter (NET_INC_STATS()). */
    void count(SnmpCounter counter);

    /** Wakes the threads sleeping on the socket's wait queue; names those that finished go into the report. */
    void wake(Socket socket, PacketReport report);

    /** A pseudo key: acknowledged bytes freed send-buffer space; the kernel turns it into EPOLLOUT when a writer needs it. */
    int WRITE_SPACE = 1 << 27;

    /** The same with a poll key ({@code sk_data_ready()}'s EPOLLIN, sk_error_report()'s EPOLLERR...), which epoll watches filter on. */
    default void wake(Socket socket, int key, PacketReport report) {
        wake(socket, report);
    }
}
