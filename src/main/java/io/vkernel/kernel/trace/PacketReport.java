package io.vkernel.kernel.trace;

import io.vkernel.kernel.wire.Segment;

import java.util.ArrayList;
import java.util.List;

/**
 * What the kernel did with one inbound segment: each step of the seed's path with the real values, the
 * segments it sent in reply, the threads it woke and the verdict.
 */
public final class PacketReport {

    private final Segment segment;
    // created on first use: with tracing off most packets record nothing
    private List<Step> steps;
    private List<Segment> sent;
    private List<String> woken;
    private String verdict = "accepted";
    private DropReason dropReason;
    private String dropDetail;
    private boolean dropCounted;
    private String connection;
    private String state;
    private final boolean tracing;

    public PacketReport(Segment segment) {
        this(segment, true);
    }

    /** With {@code tracing} false the steps are not recorded; callers skip building their text (the fast path). */
    public PacketReport(Segment segment, boolean tracing) {
        this.segment = segment;
        this.tracing = tracing;
    }

    public boolean tracing() {
        return tracing;
    }

    public void step(String step, String detail) {
        if (tracing) {
            if (steps == null) {
                steps = new ArrayList<>();
            }
            steps.add(new Step(step, detail));
        }
    }

    public void sent(Segment reply) {
        if (sent == null) {
            sent = new ArrayList<>(2);
        }
        sent.add(reply);
    }

    public void woke(String who) {
        if (woken == null) {
            woken = new ArrayList<>(1);
        }
        woken.add(who);
    }

    public void drop(DropReason reason, String detail) {
        this.verdict = "dropped";
        this.dropReason = reason;
        this.dropDetail = detail;
        step("drop", reason.name() + ": " + detail);
    }

    public String dropDetail() {
        return dropDetail;
    }

    /** True once the kernel has counted this packet's drop, so it is counted once whichever layer dropped it. */
    public boolean dropCounted() {
        return dropCounted;
    }

    public void markDropCounted() {
        dropCounted = true;
    }

    public void verdict(String verdict) {
        this.verdict = verdict;
    }

    public void connection(String connection, String state) {
        this.connection = connection;
        this.state = state;
    }

    public Segment segment() {
        return segment;
    }

    public List<Step> steps() {
        return steps == null ? List.of() : steps;
    }

    public List<Segment> sentSegments() {
        return sent == null ? List.of() : sent;
    }

    public List<String> woken() {
        return woken == null ? List.of() : woken;
    }

    public String verdict() {
        return verdict;
    }

    public DropReason dropReason() {
        return dropReason;
    }

    public String connection() {
        return connection;
    }

    public String state() {
        return state;
    }
}
