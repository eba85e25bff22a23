package io.vkernel.script;

import io.vkernel.kernel.wire.Endpoint;

import java.util.HashMap;
import java.util.Map;

/**
 * One connection as the script sees it, and how its numbers map between script and wire, as packetdrill maps
 * them: the remote side's SYN (or SYN-ACK) carries its ISN as written and later remote sequence numbers are relative
 * to it, in both directions (packetdrill's remote_seq_script_to_live_offset(): 0 on a SYN, remote_isn otherwise);
 * the kernel's are relative to the ISN learned from the kernel's SYN or SYN-ACK; TS ecr values the script echoes are
 * mapped back to the TS val the kernel really sent.
 */
final class Flow {

    /** The kernel's port and the remote endpoint. */
    record Key(int localPort, Endpoint remote) {
        @Override
        public String toString() {
            return localPort + ">" + remote.port();
        }
    }

    private boolean isnKnown;
    private int liveIsn;
    private long scriptIsn;
    private final Map<Long, Long> tsValues = new HashMap<>();
    private boolean tsBaseline;
    private long firstScriptTs;
    private long firstLiveTs;

    private long remoteIsn;

    /** The script injected a SYN or SYN-ACK with sequence number {@code seq}: the remote ISN. */
    void learnRemoteIsn(long seq) {
        remoteIsn = seq;
    }

    /** A remote sequence number the script writes, on the wire: relative to the remote ISN unless on a SYN. */
    int remoteToLive(long scriptSeq, boolean syn) {
        return (int) (syn ? scriptSeq : scriptSeq + remoteIsn);
    }

    /** A remote sequence number from the wire (the kernel's ACK or SACK block) in script space. */
    long remoteToScript(int liveSeq, boolean syn) {
        return (syn ? liveSeq : liveSeq - (int) remoteIsn) & 0xffffffffL;
    }

    /** The kernel sent a SYN or SYN-ACK the script writes with sequence number {@code scriptSeq}. */
    void learnIsn(int liveSeq, long scriptSeq) {
        isnKnown = true;
        liveIsn = liveSeq;
        scriptIsn = scriptSeq;
    }

    /**
     * A kernel sequence number in script space, as packetdrill's local_seq_live_to_script_offset(): on a SYN or
     * SYN-ACK the script's own ISN stands for the kernel's; on any other segment the numbers are relative to the
     * kernel's ISN whatever ISN the script wrote on its SYN-ACK (so {@code > S. 1234:1234(0)} is followed by
     * {@code < . 1:1(0) ack 1}).
     */
    long toScript(int liveSeq, boolean syn) {
        if (!isnKnown) {
            return liveSeq & 0xffffffffL;
        }
        return ((liveSeq - liveIsn) + (syn ? scriptIsn : 0)) & 0xffffffffL;
    }

    /** A script acknowledgment of the kernel's data, on the wire (local_seq_script_to_live_offset(), same rule). */
    int toLive(long scriptSeq, boolean syn) {
        if (!isnKnown) {
            return (int) scriptSeq;
        }
        return (int) (scriptSeq - (syn ? scriptIsn : 0)) + liveIsn;
    }

    /** Remembers that the script's TS val {@code script} was really {@code live} on the wire. */
    void learnTs(long script, long live) {
        tsValues.put(script, live);
        if (!tsBaseline) {
            tsBaseline = true;
            firstScriptTs = script;
            firstLiveTs = live;
        }
    }

    /** The TS ecr to put on the wire for a script's ecr: the exact val it names, else interpolated, else as written. */
    long liveEcr(long scriptEcr) {
        Long exact = tsValues.get(scriptEcr);
        if (exact != null) {
            return exact;
        }
        return tsBaseline ? (scriptEcr - firstScriptTs + firstLiveTs) & 0xffffffffL : scriptEcr;
    }

    /** A kernel TS val in script space, from the first one seen (packetdrill's baseline). */
    long scriptTs(long liveTs) {
        return tsBaseline ? (firstScriptTs + liveTs - firstLiveTs) & 0xffffffffL : liveTs;
    }
}
