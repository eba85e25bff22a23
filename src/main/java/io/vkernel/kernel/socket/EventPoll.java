package io.vkernel.kernel.socket;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * An epoll instance (fs/eventpoll.c, struct eventpoll): the sockets it watches (one epitem each, hooked on the
 * socket's wait queue as ep_ptable_queue_proc() does) and the ready list that the sockets' wake-ups fill
 * (ep_poll_callback()). epoll_wait() takes items off the ready list and reports what the socket's poll method says
 * now (ep_send_events()); a level-triggered item goes back on the list, an EPOLLET one waits for the next wake-up,
 * an EPOLLONESHOT one is disabled until EPOLL_CTL_MOD re-arms it.
 */
public final class EventPoll {

    public static final int EPOLLIN = 0x1, EPOLLPRI = 0x2, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10, EPOLLRDNORM = 0x40,
            EPOLLRDBAND = 0x80, EPOLLWRNORM = 0x100, EPOLLWRBAND = 0x200, EPOLLMSG = 0x400, EPOLLRDHUP = 0x2000,
            EPOLLEXCLUSIVE = 1 << 28, EPOLLWAKEUP = 1 << 29, EPOLLONESHOT = 1 << 30, EPOLLET = 1 << 31;
    /** EP_PRIVATE_BITS: flags that steer epoll itself, never reported. */
    public static final int PRIVATE_BITS = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;
    /** EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD. */
    public static final int CTL_ADD = 1, CTL_DEL = 2, CTL_MOD = 3;
    /** The event bits by name, in the order strace prints them. */
    public static final Map<String, Integer> EVENTS = events();

    private static Map<String, Integer> events() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("EPOLLIN", EPOLLIN);
        m.put("EPOLLPRI", EPOLLPRI);
        m.put("EPOLLOUT", EPOLLOUT);
        m.put("EPOLLERR", EPOLLERR);
        m.put("EPOLLHUP", EPOLLHUP);
        m.put("EPOLLRDNORM", EPOLLRDNORM);
        m.put("EPOLLRDBAND", EPOLLRDBAND);
        m.put("EPOLLWRNORM", EPOLLWRNORM);
        m.put("EPOLLWRBAND", EPOLLWRBAND);
        m.put("EPOLLMSG", EPOLLMSG);
        m.put("EPOLLRDHUP", EPOLLRDHUP);
        m.put("EPOLLEXCLUSIVE", EPOLLEXCLUSIVE);
        m.put("EPOLLWAKEUP", EPOLLWAKEUP);
        m.put("EPOLLONESHOT", EPOLLONESHOT);
        m.put("EPOLLET", EPOLLET);
        return Collections.unmodifiableMap(m);
    }

    public static String names(int mask) {
        List<String> names = new ArrayList<>();
        for (var e : EVENTS.entrySet()) {
            if ((mask & e.getValue()) != 0) {
                names.add(e.getKey());
            }
        }
        return names.isEmpty() ? "0" : String.join("|", names);
    }

    /** One watched fd (struct epitem): the events asked for (EPOLLERR and EPOLLHUP always added) and the user data. */
    public final class Item implements WaitQueue.Waiter {
        private final int fd;
        private final Socket socket;
        private int events;
        private long data;

        Item(int fd, Socket socket, int events, long data) {
            this.fd = fd;
            this.socket = socket;
            this.events = events;
            this.data = data;
        }

        public int fd() {
            return fd;
        }

        public Socket socket() {
            return socket;
        }

        public int events() {
            return events;
        }

        public long data() {
            return data;
        }

        /** eventpoll_release(): the watched socket's file went away. */
        public void detach() {
            remove(this);
        }

        public boolean isReady() {
            return ready.contains(this);
        }

        @Override
        public boolean wake() {
            return wake(WaitQueue.ALL);
        }

        /** ep_poll_callback(): queue the item unless it is disabled (ONESHOT fired) or the wake-up's key is not wanted. */
        @Override
        public boolean wake(int key) {
            if ((events & ~PRIVATE_BITS) == 0) {
                return false;
            }
            if (key != WaitQueue.ALL && (key & events) == 0) {
                return false;
            }
            if (!ready.contains(this)) {
                ready.addLast(this);
            }
            return false; // an epitem stays on the socket's wait queue until EPOLL_CTL_DEL or close
        }

        @Override
        public String describe() {
            return "epoll [eventpoll:" + inode + "] item fd " + fd + " (" + names(events) + ")";
        }
    }

    /** One reported event as epoll_wait() writes it: struct epoll_event {events, data}. */
    public record Event(int fd, int events, long data) {
    }

    private final long inode;
    private final Map<Integer, Item> items = new LinkedHashMap<>();
    private final ArrayDeque<Item> ready = new ArrayDeque<>();

    public EventPoll(long inode) {
        this.inode = inode;
    }

    public long inode() {
        return inode;
    }

    public List<Item> items() {
        return List.copyOf(items.values());
    }

    public Item item(int fd) {
        return items.get(fd);
    }

    /** ep_insert(): hook the item on the socket's wait queue; ready at once when the socket already has an event. */
    public void add(int fd, Socket socket, int events, long data, int polled) {
        Item item = new Item(fd, socket, events | EPOLLERR | EPOLLHUP, data);
        items.put(fd, item);
        socket.waitQueue().add(item);
        if ((polled & item.events) != 0) {
            ready.addLast(item);
        }
    }

    /** ep_modify(): new events and data; re-polled, so an event already there is reported (this re-arms ONESHOT). */
    public void modify(Item item, int events, long data, int polled) {
        item.events = events | EPOLLERR | EPOLLHUP;
        item.data = data;
        if ((polled & item.events) != 0 && !ready.contains(item)) {
            ready.addLast(item);
        }
    }

    /** ep_remove(): off the socket's wait queue and the ready list. */
    public void remove(Item item) {
        items.remove(item.fd);
        ready.remove(item);
        item.socket.waitQueue().remove(item);
    }

    /** The watch of a socket whose last file reference went away (eventpoll_release()). */
    public void forget(Socket socket) {
        for (Item item : List.copyOf(items.values())) {
            if (item.socket == socket) {
                remove(item);
            }
        }
    }

    /** The epoll file itself was closed: every item leaves its socket's wait queue (ep_free()). */
    public void close() {
        for (Item item : List.copyOf(items.values())) {
            remove(item);
        }
    }

    /**
     * ep_send_events(): up to {@code max} items off the ready list, each reporting {@code poll(socket) & events};
     * one with nothing to report is dropped, a level-triggered one is queued again, a ONESHOT one disabled.
     */
    public List<Event> collect(int max, ToIntFunction<Socket> poll) {
        List<Event> out = new ArrayList<>();
        List<Item> requeue = new ArrayList<>();
        int n = ready.size();
        for (int i = 0; i < n && out.size() < max; i++) {
            Item item = ready.pollFirst();
            int revents = poll.applyAsInt(item.socket) & item.events;
            if (revents == 0) {
                continue;
            }
            out.add(new Event(item.fd, revents, item.data));
            if ((item.events & EPOLLONESHOT) != 0) {
                item.events &= PRIVATE_BITS;
            } else if ((item.events & EPOLLET) == 0) {
                requeue.add(item);
            }
        }
        ready.addAll(requeue);
        return out;
    }

    public boolean hasReady() {
        return !ready.isEmpty();
    }
}
