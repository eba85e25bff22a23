package io.vkernel.kernel.tcp;

/**
 * The iovecs of one send(MSG_ZEROCOPY) as skb frags (net/core/datagram.c __zerocopy_sg_from_iter(), called by
 * skb_zerocopy_iter_stream()): the user's pages are pinned, not copied, so every page an iovec touches becomes a frag
 * of its own (two iovecs are two buffers, never coalesced), and an skb holds at most MAX_SKB_FRAGS of them. When the
 * tail skb has no frag left, -EMSGSIZE makes tcp_sendmsg_locked() mark it PSH (tcp_mark_push()) and start a new one;
 * a call that pinned some pages first returns what it pinned. Buffers are taken as page-aligned.
 */
final class ZeroCopyFrags {

    /** MAX_SKB_FRAGS with the default CONFIG_MAX_SKB_FRAGS=17 (include/linux/skbuff.h). */
    static final int MAX_SKB_FRAGS = 17;
    static final int PAGE_SIZE = 4096;

    private final int[] iov;
    private int index;
    private int offset;

    ZeroCopyFrags(int[] iov) {
        this.iov = iov;
    }

    /**
     * The bytes of the next {@code copy} that fit into the tail skb, which already holds {@code frags} frags: the
     * count of frags the tail then holds is {@link #fragsAfter}. 0 means none fit (-EMSGSIZE).
     */
    int take(int copy, int frags) {
        int taken = 0;
        while (taken < copy && frags < MAX_SKB_FRAGS) {
            while (index < iov.length && offset == iov[index]) {
                index++;
                offset = 0;
            }
            if (index == iov.length) {
                fragsAfter = frags + 1;
                return copy; // lengths that do not cover the bytes (never from the syscall layer): the rest as one frag
            }
            int piece = Math.min(Math.min(iov[index] - offset, PAGE_SIZE - offset % PAGE_SIZE), copy - taken);
            offset += piece;
            taken += piece;
            frags++;
        }
        fragsAfter = frags;
        return taken;
    }

    /** The tail skb's frags after the last {@link #take}. */
    int fragsAfter;
}
