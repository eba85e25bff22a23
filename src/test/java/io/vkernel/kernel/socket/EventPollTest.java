package io.vkernel.kernel.socket;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

import static io.vkernel.kernel.socket.EventPoll.EPOLLERR;
import static io.vkernel.kernel.socket.EventPoll.EPOLLET;
import static io.vkernel.kernel.socket.EventPoll.EPOLLHUP;
import static io.vkernel.kernel.socket.EventPoll.EPOLLIN;
import static io.vkernel.kernel.socket.EventPoll.EPOLLONESHOT;
import static io.vkernel.kernel.socket.EventPoll.EPOLLOUT;
import static io.vkernel.kernel.socket.EventPoll.EPOLLRDHUP;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An epoll instance on its own (fs/eventpoll.c): ep_poll_callback() queuing an item only for the events it wants
 * and not while a ONESHOT item is disabled, ep_send_events() reporting what the poll method says now and requeuing
 * only level-triggered items, ep_modify() re-arming, and removal on EPOLL_CTL_DEL, the socket's release and close.
 */
class EventPollTest {

    private final Socket a = new Socket(11);
    private final Socket b = new Socket(12);
    private final EventPoll ep = new EventPoll(30);

    private static ToIntFunction<Socket> polled(Map<Socket, Integer> now) {
        return s -> now.getOrDefault(s, 0);
    }

    @Test
    void names_areStracesInBitOrder_andZeroIsZero() {
        assertThat(EventPoll.names(0)).isEqualTo("0");
        assertThat(EventPoll.names(EPOLLET | EPOLLIN | EPOLLRDHUP | EPOLLONESHOT)).isEqualTo("EPOLLIN|EPOLLRDHUP|EPOLLONESHOT|EPOLLET");
        assertThat(EventPoll.EVENTS).hasSize(15);
        assertThat(ep.inode()).isEqualTo(30);
    }

    @Test
    void add_alwaysWatchesErrAndHup_andIsReadyAtOnceOnlyWhenTheSocketHasAWantedEvent() {
        ep.add(3, a, EPOLLIN, 42, EPOLLOUT);
        EventPoll.Item item = ep.item(3);
        assertThat(item.events()).isEqualTo(EPOLLIN | EPOLLERR | EPOLLHUP);
        assertThat(item.data()).isEqualTo(42);
        assertThat(item.fd()).isEqualTo(3);
        assertThat(item.socket()).isSameAs(a);
        assertThat(item.isReady()).as("writable, but only EPOLLIN asked").isFalse();
        assertThat(ep.hasReady()).isFalse();
        ep.add(4, b, EPOLLIN, 43, EPOLLHUP);
        assertThat(ep.item(4).isReady()).as("EPOLLHUP is always wanted").isTrue();
        assertThat(a.waitQueue().waiters()).containsExactly(item);
    }

    @Test
    void aWakeup_queuesTheItemOnlyForAWantedKey_once() {
        ep.add(3, a, EPOLLIN, 1, 0);
        EventPoll.Item item = ep.item(3);
        assertThat(item.wake(EPOLLOUT)).isFalse();
        assertThat(item.isReady()).isFalse();
        item.wake(EPOLLIN);
        assertThat(item.wake()).as("a keyless wake-up queues it and leaves it on the wait queue").isFalse();
        assertThat(item.isReady()).isTrue();
        List<EventPoll.Event> events = ep.collect(10, polled(Map.of(a, EPOLLIN | EPOLLOUT)));
        assertThat(events).containsExactly(new EventPoll.Event(3, EPOLLIN, 1));
    }

    @Test
    void collect_dropsItemsWithNothingToSay_requeuesLevelTriggered_notEdgeTriggered() {
        ep.add(3, a, EPOLLIN, 1, EPOLLIN);
        ep.add(4, b, EPOLLIN | EPOLLET, 2, EPOLLIN);
        assertThat(ep.collect(10, polled(Map.of(a, EPOLLIN, b, EPOLLIN))))
                .containsExactly(new EventPoll.Event(3, EPOLLIN, 1), new EventPoll.Event(4, EPOLLIN, 2));
        assertThat(ep.item(3).isReady()).isTrue();
        assertThat(ep.item(4).isReady()).isFalse();
        assertThat(ep.collect(10, polled(Map.of()))).as("nothing to report now: dropped").isEmpty();
        assertThat(ep.hasReady()).isFalse();
    }

    @Test
    void collect_takesAtMostMax_inReadyOrder_leavingTheRestQueued() {
        ep.add(3, a, EPOLLOUT, 1, EPOLLOUT);
        ep.add(4, b, EPOLLOUT, 2, EPOLLOUT);
        Map<Socket, Integer> writable = Map.of(a, EPOLLOUT, b, EPOLLOUT);
        assertThat(ep.collect(1, polled(writable))).containsExactly(new EventPoll.Event(3, EPOLLOUT, 1));
        assertThat(ep.collect(1, polled(writable))).containsExactly(new EventPoll.Event(4, EPOLLOUT, 2));
        assertThat(ep.collect(1, polled(writable))).containsExactly(new EventPoll.Event(3, EPOLLOUT, 1));
    }

    @Test
    void oneshot_isDisabledAfterFiring_untilModifyRearmsIt() {
        ep.add(3, a, EPOLLIN | EPOLLONESHOT, 1, EPOLLIN);
        assertThat(ep.collect(10, polled(Map.of(a, EPOLLIN)))).hasSize(1);
        EventPoll.Item item = ep.item(3);
        assertThat(item.events()).isEqualTo(EPOLLONESHOT);
        assertThat(item.wake(WaitQueue.ALL)).as("an epitem never finishes: it stays on the socket's wait queue").isFalse();
        assertThat(item.isReady()).as("disabled: a wake-up does not queue it").isFalse();
        ep.modify(item, EPOLLIN | EPOLLONESHOT, 5, EPOLLIN);
        assertThat(item.isReady()).isTrue();
        assertThat(item.data()).isEqualTo(5);
        ep.modify(item, EPOLLIN, 6, EPOLLIN);
        assertThat(ep.collect(10, polled(Map.of(a, EPOLLIN)))).as("modified twice while ready: reported once")
                .containsExactly(new EventPoll.Event(3, EPOLLIN, 6));
    }

    @Test
    void modify_withNothingPending_doesNotQueue() {
        ep.add(3, a, EPOLLIN, 1, 0);
        ep.modify(ep.item(3), EPOLLOUT, 2, EPOLLIN);
        assertThat(ep.item(3).isReady()).isFalse();
        assertThat(ep.item(3).events()).isEqualTo(EPOLLOUT | EPOLLERR | EPOLLHUP);
    }

    @Test
    void removal_byDel_byTheSocketsRelease_andByClose_leavesTheWaitQueues() {
        ep.add(3, a, EPOLLIN, 1, EPOLLIN);
        ep.add(4, b, EPOLLIN, 2, 0);
        ep.add(5, b, EPOLLOUT, 3, 0);
        ep.remove(ep.item(3));
        assertThat(ep.item(3)).isNull();
        assertThat(ep.hasReady()).as("off the ready list too").isFalse();
        assertThat(a.waitQueue().isEmpty()).isTrue();
        ep.add(3, a, EPOLLIN, 1, 0);
        ep.forget(b);
        assertThat(ep.items()).extracting(EventPoll.Item::fd).containsExactly(3);
        assertThat(b.waitQueue().isEmpty()).isTrue();
        ep.item(3).detach();
        assertThat(ep.items()).isEmpty();
        ep.add(6, a, EPOLLIN, 1, 0);
        ep.add(7, b, EPOLLIN, 1, 0);
        ep.close();
        assertThat(ep.items()).isEmpty();
        assertThat(a.waitQueue().isEmpty()).isTrue();
        assertThat(b.waitQueue().isEmpty()).isTrue();
    }
}
