package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Seq;

/**
 * Where the send queue carries PSH: the end of each write() (tcp_push() marks the tail skb) and every point where
 * tcp_sendmsg() forced a push because half the peer's largest window was written unpushed (forced_push(),
 * tcp_mark_push()). A segment never runs past a mark, and the one ending at a mark carries PSH. Marks are kept in
 * ascending order in a small ring and dropped once acknowledged.
 */
final class PushMarks {

    private int[] marks = new int[8];
    private int head;
    private int size;

    void add(int seq) {
        if (size == marks.length) {
            int[] grown = new int[marks.length * 2];
            for (int i = 0; i < size; i++) {
                grown[i] = marks[(head + i) & (marks.length - 1)];
            }
            marks = grown;
            head = 0;
        }
        marks[(head + size) & (marks.length - 1)] = seq;
        size++;
    }

    /** The newest mark, when it is exactly {@code seq}, is removed: a write that extends an unsent tail skb moves its PSH. */
    void removeLastIf(int seq) {
        if (size > 0 && marks[(head + size - 1) & (marks.length - 1)] == seq) {
            size--;
        }
    }

    /** Drops marks at or below SND.UNA. */
    void acked(int sndUna) {
        while (size > 0 && Seq.beforeOrEqual(marks[head], sndUna)) {
            head = (head + 1) & (marks.length - 1);
            size--;
        }
    }

    /** The first mark after {@code seq}, or {@code fallback} when there is none. */
    int nextAfter(int seq, int fallback) {
        for (int i = 0; i < size; i++) {
            int mark = marks[(head + i) & (marks.length - 1)];
            if (Seq.after(mark, seq)) {
                return mark;
            }
        }
        return fallback;
    }

    boolean isMark(int seq) {
        for (int i = 0; i < size; i++) {
            if (marks[(head + i) & (marks.length - 1)] == seq) {
                return true;
            }
        }
        return false;
    }

    void clear() {
        size = 0;
    }
}
