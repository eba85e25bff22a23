package io.vkernel.kernel.link;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.kernel.wire.Segment;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Kernels wired together by one {@link Link} under one clock. A segment a member sends to another member's address
 * leaves through {@link Kernel#egress} onto the link and, when the link lets it through, enters the other member by
 * {@link Kernel#receive}: the same six steps as any packet. Segments for any other address stay as they were (in
 * the sender's wire log only).
 *
 * <p><b>Time.</b> The network owns its members' time: each member keeps its own {@code VirtualClock}, and
 * {@link #advance} moves them together one deadline at a time (the earliest timer of any member or packet on the
 * link first), so timers and deliveries happen in one global time order. Joining a network brings every member to
 * the latest member's time.
 *
 * <p><b>Locks.</b> A member's lock is never held while another member's is taken: the egress only queues on the
 * link; deliveries happen afterwards, in {@link #settle} or {@link #advance}, under the network's own lock, which
 * is always taken before a kernel's and never from under one. A packet due now (a link without delay) is delivered
 * by {@link #settle} once the sender's operation has finished, as the loopback device delivers after the call.
 */
public final class Network {

    /** Deliveries and timer firings one {@link #advance} or {@link #settle} may make before it stops (a ping-pong guard). */
    public static final int STEP_BUDGET = 10_000_000;

    private final String id;
    private final Link link;
    private final ReentrantLock lock = new ReentrantLock();
    /** Members in joining order, and by address; replaced (copy on write) when a member leaves. */
    private volatile List<Kernel> members;
    private volatile Map<Integer, Kernel> byAddress;
    private volatile long now;
    private volatile boolean dissolved;

    /**
     * Joins {@code kernels} (two or more, distinct addresses) by a link with {@code settings}. The caller must make
     * sure none is in another network. Throws {@link IllegalArgumentException} for a repeated kernel or address.
     */
    public Network(String id, List<Kernel> kernels, LinkSettings settings) {
        if (kernels.size() < 2) {
            throw new IllegalArgumentException("a network joins at least two kernels, got " + kernels.size());
        }
        Map<Integer, Kernel> addresses = new HashMap<>();
        for (Kernel kernel : kernels) {
            Kernel other = addresses.putIfAbsent(kernel.address(), kernel);
            if (other != null) {
                throw new DuplicateAddressException(other == kernel
                        ? "kernel '" + kernel.id() + "' is listed twice"
                        : "kernels '" + other.id() + "' and '" + kernel.id() + "' both have address " + Ipv4.format(kernel.address())
                        + ": a segment for it could not say which one it is for; create them with distinct addresses");
            }
        }
        this.id = id;
        this.link = new Link(settings, kernels.get(0).budget().service());
        this.members = List.copyOf(kernels);
        this.byAddress = Map.copyOf(addresses);
        lock.lock();
        try {
            long latest = 0;
            for (Kernel kernel : kernels) {
                latest = Math.max(latest, kernel.inspect(k -> k.clock().now()));
            }
            for (Kernel kernel : kernels) {
                long at = kernel.inspect(k -> k.clock().now());
                if (at < latest) {
                    kernel.advance(latest - at);
                }
                kernel.egress(segment -> carry(kernel, segment));
            }
            now = latest;
        } finally {
            lock.unlock();
        }
    }

    private Network(String id, Link link, List<Kernel> kernels, Map<Integer, Kernel> addresses, long now) {
        this.id = id;
        this.link = link;
        this.members = List.copyOf(kernels);
        this.byAddress = Map.copyOf(addresses);
        this.now = now;
    }

    /**
     * A network rebuilt after a restart: its members, each already replayed to where it was, and its link replayed
     * to where it was (see {@link Link.Recorder}). Nothing is advanced: the members' clocks read the network's time
     * already, the latest of them. Members may be fewer than two (others were deleted meanwhile), but not share an address.
     */
    public static Network restore(String id, List<Kernel> kernels, Link link) {
        Map<Integer, Kernel> addresses = new HashMap<>();
        long latest = 0;
        for (Kernel kernel : kernels) {
            if (addresses.putIfAbsent(kernel.address(), kernel) != null) {
                throw new DuplicateAddressException("two members of network '" + id + "' have address " + Ipv4.format(kernel.address()));
            }
            latest = Math.max(latest, kernel.inspect(k -> k.clock().now()));
        }
        Network network = new Network(id, link, kernels, addresses, latest);
        for (Kernel kernel : kernels) {
            kernel.egress(segment -> network.carry(kernel, segment));
        }
        return network;
    }

    /** Two members would share an address. */
    public static final class DuplicateAddressException extends IllegalArgumentException {
        public DuplicateAddressException(String message) {
            super(message);
        }
    }

    public String id() {
        return id;
    }

    public Link link() {
        return link;
    }

    public List<Kernel> members() {
        return members;
    }

    public boolean isMember(Kernel kernel) {
        return members.contains(kernel);
    }

    /** The network's time: every member's clock reads this between operations. */
    public long now() {
        return now;
    }

    /** Called by the sender's egress, under the sender's lock: queue the segment if it is for another member. */
    private void carry(Kernel sender, Segment segment) {
        Kernel receiver = byAddress.get(segment.dst().address());
        if (receiver == null || receiver == sender || dissolved) {
            return;
        }
        link.send(segment, sender.clock().now());
    }

    /**
     * Runs {@code operation} on a member, then delivers what it sent that is due now: a helper for code that drives
     * kernels directly (tests, benchmarks). Must be called with no kernel lock held.
     */
    public <T> T run(Supplier<T> operation) {
        T result = operation.get();
        settle();
        return result;
    }

    /**
     * Delivers every packet due at the network's current time, including the replies they cause, without moving the
     * clock. Call it after an operation on a member, with no kernel lock held; returns how many were delivered.
     */
    public int settle() {
        if (dissolved || link.nextDueOrMax() > now || holdsMemberLock()) {
            return 0;
        }
        lock.lock();
        try {
            return deliverDue();
        } finally {
            lock.unlock();
        }
    }

    /** What one {@link #advance} did: timers that fired in the members, packets the link delivered. */
    public record Advanced(int timersFired, int packetsDelivered) {
    }

    /**
     * Moves every member's clock {@code ms} forward together, firing each timer and delivering each packet in time
     * order, one deadline at a time.
     */
    public Advanced advance(long ms) {
        if (ms < 0) {
            throw new IllegalArgumentException("time only moves forward");
        }
        lock.lock();
        try {
            int fired = 0;
            int delivered = deliverDue();
            long target = now + ms;
            for (int budget = STEP_BUDGET; budget > 0; budget--) {
                long next = nextDeadline();
                if (next > target) {
                    break;
                }
                now = Math.max(now, next);
                for (Kernel member : members) {
                    fired += catchUp(member);
                }
                delivered += deliverDue();
            }
            now = target;
            for (Kernel member : members) {
                fired += catchUp(member);
            }
            return new Advanced(fired, delivered + deliverDue());
        } finally {
            lock.unlock();
        }
    }

    /** Moves a member's clock to the network's time, firing its timers on the way (and those due right now). */
    private int catchUp(Kernel member) {
        long at = member.inspect(k -> k.clock().now());
        return member.advance(Math.max(0, now - at));
    }

    /** The earliest member timer or link delivery; Long.MAX_VALUE when nothing is pending. */
    private long nextDeadline() {
        long next = link.nextDueOrMax();
        for (Kernel member : members) {
            Long deadline = member.inspect(k -> k.clock().nextDeadline());
            if (deadline != null && deadline < next) {
                next = deadline;
            }
        }
        return next;
    }

    /** Hands each packet due by now to its member, oldest first; the replies they cause join the queue. Lock held. */
    private int deliverDue() {
        int delivered = 0;
        for (int budget = STEP_BUDGET; budget > 0 && !dissolved; budget--) {
            Link.InFlight packet = link.pollDue(now);
            if (packet == null) {
                break;
            }
            Kernel receiver = byAddress.get(packet.to());
            if (receiver == null) {
                link.undeliverable(packet);
                continue;
            }
            link.delivered(packet);
            receiver.receive(packet.segment());
            delivered++;
        }
        return delivered;
    }

    private boolean holdsMemberLock() {
        for (Kernel member : members) {
            if (Thread.holdsLock(member)) {
                return true;
            }
        }
        return false;
    }

    /** A member leaves (it was deleted): it no longer sends on the link, and packets for it are dropped. */
    public void remove(Kernel kernel) {
        lock.lock();
        try {
            if (!members.contains(kernel)) {
                return;
            }
            kernel.egress(null);
            List<Kernel> left = new ArrayList<>(members);
            left.remove(kernel);
            Map<Integer, Kernel> addresses = new HashMap<>(byAddress);
            addresses.remove(kernel.address(), kernel);
            members = List.copyOf(left);
            byAddress = Map.copyOf(addresses);
        } finally {
            lock.unlock();
        }
    }

    /** Takes the network apart: every member is standalone again, packets in flight are dropped. */
    public void dissolve() {
        lock.lock();
        try {
            dissolved = true;
            for (Kernel member : members) {
                member.egress(null);
            }
            link.clear();
            link.release();
        } finally {
            lock.unlock();
        }
    }

    public boolean isDissolved() {
        return dissolved;
    }
}
