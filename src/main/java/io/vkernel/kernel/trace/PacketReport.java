package io.vkernel.kernel.trace;

import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What the kernel did with one inbound segment: each step of the seed's path with the real values, the
 * segments it sent in reply, the threads it woke and the verdict.
 *
 * <p>A step's text may be given as a {@link Supplier} over values captured when the step happened (numbers, enums,
 * immutable tuples and segments, strings): it is rendered the first time someone reads the steps, so a packet whose
 * report nobody reads (the in-process pipeline, a batch's middle packets) never pays for formatting it. The text is
 * the same either way; what depends on the kernel's state at the time (who holds a socket) is captured as a string.
 */
public final class PacketReport {

    private final Segment segment;
    // created on first use: with tracing off most packets record nothing. A detail is a String, or a Supplier
    // rendered (once) into its String when the steps are read.
    private String[] stepNames;
    private Object[] stepDetails;
    private int stepCount;
    private List<Segment> sent;
    private List<String> woken;
    private String verdict = "accepted";
    private DropReason dropReason;
    private String dropDetail;
    private boolean dropCounted;
    private Object connection; // a String, or an immutable tuple written out when read
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
            add(step, detail);
        }
    }

    /** A step whose text is built from captured values only when the steps are read (see the class comment). */
    public void step(String step, Supplier<String> detail) {
        if (tracing) {
            add(step, detail);
        }
    }

    private void add(String step, Object detail) {
        if (stepNames == null) {
            stepNames = new String[16]; // a traced data segment takes about ten steps
            stepDetails = new Object[16];
        } else if (stepCount == stepNames.length) {
            stepNames = Arrays.copyOf(stepNames, stepCount * 2);
            stepDetails = Arrays.copyOf(stepDetails, stepCount * 2);
        }
        stepNames[stepCount] = step;
        stepDetails[stepCount] = detail;
        stepCount++;
    }

    /** The steps as {@link Step}s, each lazy one rendered (once) when first read; live, like the arrays behind it. */
    private final class Steps extends AbstractList<Step> {
        @Override
        public Step get(int index) {
            Objects.checkIndex(index, stepCount);
            Object detail = stepDetails[index];
            if (detail instanceof Supplier<?> lazy) {
                String rendered = (String) lazy.get();
                stepDetails[index] = rendered;
                return new Step(stepNames[index], rendered);
            }
            return new Step(stepNames[index], (String) detail);
        }

        @Override
        public int size() {
            return stepCount;
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

    /** The connection by its (immutable) 4-tuple, written out only when someone reads it. */
    public void connection(FourTuple connection, String state) {
        this.connection = connection;
        this.state = state;
    }

    public Segment segment() {
        return segment;
    }

    public List<Step> steps() {
        return stepCount == 0 ? List.of() : new Steps();
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
        return connection == null ? null : connection.toString();
    }

    public String state() {
        return state;
    }
}
