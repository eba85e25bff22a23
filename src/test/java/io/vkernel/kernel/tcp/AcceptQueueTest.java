package io.vkernel.kernel.tcp;

import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A listener's accept queue: FIFO order for accept(), sk_acceptq_is_full() at backlog + 1, and membership (what the
 * kernel asks when a queued connection is reset or closed) that stays true to the queue after every kind of removal.
 */
class AcceptQueueTest {

    private static Tcb tcb(int port) {
        return new Tcb(new FourTuple(new Endpoint(Endpoint.parse("192.168.1.100:1").address(), port),
                Endpoint.parse("10.0.0.50:8080")), TcpState.ESTABLISHED, 0);
    }

    private final Socket listener = new Socket(1);
    private final ArrayDeque<Tcb> queue;
    private final Tcb a = tcb(1001);
    private final Tcb b = tcb(1002);
    private final Tcb c = tcb(1003);
    private final Tcb d = tcb(1004);

    AcceptQueueTest() {
        listener.bindTo(Endpoint.parse("0.0.0.0:8080"));
        listener.listen(2);
        queue = listener.acceptQueue();
        queue.addLast(a);
        queue.addLast(b);
        queue.addLast(c);
    }

    private void assertMembers(Tcb... present) {
        assertThat(List.copyOf(queue)).containsExactly(present);
        for (Tcb t : List.of(a, b, c, d)) {
            assertThat(queue.contains(t)).as("contains " + t.tuple()).isEqualTo(List.of(present).contains(t));
        }
    }

    @Test
    void isFull_onlyWhenMoreThanTheBacklogAreQueued() {
        assertThat(listener.backlog()).isEqualTo(2);
        assertThat(listener.acceptQueueFull()).isTrue();
        queue.pollFirst();
        assertThat(listener.acceptQueueFull()).isFalse();
        assertThat(queue.contains("not a connection")).isFalse();
    }

    @Test
    void pollFirst_andPollLast_endMembership_inFifoOrder() {
        assertMembers(a, b, c);
        assertThat(queue.pollFirst()).isSameAs(a);
        assertMembers(b, c);
        assertThat(queue.pollLast()).isSameAs(c);
        assertMembers(b);
        queue.addFirst(d);
        assertMembers(d, b);
        assertThat(queue.poll()).isSameAs(d);
        assertThat(queue.pollLast()).isSameAs(b);
        assertThat(queue.pollFirst()).isNull();
        assertThat(queue.pollLast()).isNull();
        assertMembers();
    }

    @Test
    void removingOneConnection_byAnyMethod_endsOnlyItsMembership() {
        assertThat(queue.remove(b)).isTrue();
        assertMembers(a, c);
        assertThat(queue.remove(b)).isFalse();
        assertThat(queue.removeLastOccurrence(c)).isTrue();
        assertMembers(a);
        assertThat(queue.removeLastOccurrence(c)).isFalse();
        assertThat(queue.removeFirstOccurrence(a)).isTrue();
        assertThat(queue.removeFirstOccurrence(a)).isFalse();
        assertMembers();
    }

    @Test
    void bulkRemovals_andClear_leaveMembershipEqualToTheQueue() {
        assertThat(queue.removeIf(t -> t == b)).isTrue();
        assertMembers(a, c);
        queue.addLast(d);
        assertThat(queue.removeAll(List.of(a))).isTrue();
        assertMembers(c, d);
        assertThat(queue.retainAll(List.of(d))).isTrue();
        assertMembers(d);
        queue.clear();
        assertMembers();
    }

    @Test
    void iteratorRemove_endsTheRemovedConnectionsMembership_inBothDirections() {
        Iterator<Tcb> it = queue.iterator();
        assertThat(it.next()).isSameAs(a);
        assertThat(it.hasNext()).isTrue();
        assertThat(it.next()).isSameAs(b);
        it.remove();
        assertMembers(a, c);
        Iterator<Tcb> back = queue.descendingIterator();
        assertThat(back.next()).isSameAs(c);
        back.remove();
        assertMembers(a);
        assertThat(back.next()).isSameAs(a);
        assertThat(back.hasNext()).isFalse();
    }
}
