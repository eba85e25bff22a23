package io.vkernel.kernel.tcp;

import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.socket.EventPoll;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.socket.WaitQueue;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a listening socket keeps between calls: a second listen() only changes the backlog and keeps the connections
 * waiting in the accept queue; the bulk removals answer whether they removed anything; the SYN-flood stamp starts
 * unset; the socket knows its file and when it was released; a wake-up returns the sleepers that finished.
 */
class ListenerSocketTest {

    private static Tcb tcb(int port) {
        return new Tcb(new FourTuple(new Endpoint(Endpoint.parse("192.168.1.100:1").address(), port),
                Endpoint.parse("10.0.0.50:8080")), TcpState.ESTABLISHED, 0);
    }

    @Test
    void aSecondListen_changesTheBacklog_andKeepsTheQueuedConnections() {
        Socket listener = new Socket(1);
        listener.bindTo(Endpoint.parse("0.0.0.0:8080"));
        listener.listen(2);
        Tcb a = tcb(1001);
        listener.acceptQueue().addLast(a);
        ArrayDeque<Tcb> before = listener.acceptQueue();
        listener.listen(64);
        assertThat(listener.backlog()).isEqualTo(64);
        assertThat(listener.isListening()).isTrue();
        assertThat(listener.acceptQueue()).isSameAs(before).containsExactly(a);
        assertThat(listener.acceptQueue().contains(a)).isTrue();
        listener.stopListening();
        assertThat(listener.isListening()).isFalse();
    }

    @Test
    void bulkRemovals_answerFalseWhenNothingWasRemoved() {
        Socket listener = new Socket(2);
        listener.listen(4);
        ArrayDeque<Tcb> queue = listener.acceptQueue();
        Tcb a = tcb(2001);
        Tcb b = tcb(2002);
        queue.addLast(a);
        queue.addLast(b);
        assertThat(queue.removeIf(t -> false)).isFalse();
        assertThat(queue.removeAll(List.of(tcb(2003)))).isFalse();
        assertThat(queue.retainAll(List.of(a, b))).isFalse();
        assertThat(queue).containsExactly(a, b);
        assertThat(queue.contains(a)).isTrue();
    }

    @Test
    void synFloodStamp_startsUnset_andHoldsTheLastFlood() {
        Socket listener = new Socket(3);
        assertThat(listener.lastSynFloodAt()).as("no flood yet: -1, so a flood at time 0 still warns").isEqualTo(-1);
        listener.synFlood(0);
        assertThat(listener.lastSynFloodAt()).isZero();
        listener.synFlood(125_000);
        assertThat(listener.lastSynFloodAt()).isEqualTo(125_000);
    }

    @Test
    void aSocket_knowsItsFile_andWhenItWasReleased() {
        Socket socket = new Socket(4);
        assertThat(socket.file()).isNull();
        OpenFile file = OpenFile.socket(socket);
        assertThat(socket.file()).isSameAs(file);
        assertThat(socket.isReleased()).isFalse();
        socket.markReleased();
        assertThat(socket.isReleased()).isTrue();
        assertThat(socket.inode()).isEqualTo(4);
    }

    @Test
    void wakeAll_returnsTheSleepersThatFinished_andAnEpollItemStays() {
        Socket socket = new Socket(5);
        WaitQueue queue = socket.waitQueue();
        WaitQueue.Waiter done = new WaitQueue.Waiter() {
            @Override
            public boolean wake() {
                return true;
            }

            @Override
            public String describe() {
                return "read()";
            }
        };
        EventPoll ep = new EventPoll(9);
        ep.add(7, socket, EventPoll.EPOLLIN, 0, 0);
        queue.add(done);
        assertThat(queue.wakeAll()).containsExactly(done);
        assertThat(queue.waiters()).hasSize(1);
        assertThat(queue.waiters().get(0).describe()).isEqualTo("epoll [eventpoll:9] item fd 7 (EPOLLIN|EPOLLERR|EPOLLHUP)");
        assertThat(ep.hasReady()).as("the plain wake-up readied the item").isTrue();
    }
}
