package io.vkernel.kernel.demux;

import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The established hash table (Linux's {@code ehash}): a hand-built chained hash table from 4-tuple to TCB.
 * It holds every connection that has a full 4-tuple — SYN_RECV requests, ESTABLISHED and closing connections,
 * and TIME_WAIT — but never a listener. New entries go to the head of their bucket's chain, as
 * {@code __sk_nulls_add_node_rcu()} does, and each entry keeps its full 32-bit hash, compared before the tuple.
 */
public final class EstablishedTable {

    private static final class Entry {
        final Tcb tcb;
        final int hash;
        /**
         * The tuple's two ends as numbers ({@link #key}), compared in place of the tuple: a lookup that finds its
         * entry reads no other object before the TCB (the tuple and its endpoints sit elsewhere in memory, and over
         * thousands of connections each is a cache miss).
         */
        final long remote;
        final long local;
        Entry next;

        Entry(Tcb tcb, int hash, Entry next) {
            this.tcb = tcb;
            this.hash = hash;
            this.remote = key(tcb.tuple().remote());
            this.local = key(tcb.tuple().local());
            this.next = next;
        }
    }

    /** An endpoint as one number: its address and port, equal exactly when the endpoints are. */
    private static long key(Endpoint endpoint) {
        return (endpoint.address() & 0xffffffffL) << 16 | endpoint.port();
    }

    /**
     * The table's shape: how many buckets hold something, the longest chain, how many buckets have each chain
     * length, and the entries a lookup examines when it looks up every entry once ({@code sum of L(L+1)/2}).
     */
    public record Distribution(int buckets, int entries, int usedBuckets, int longestChain, int longestBucket,
                               SortedMap<Integer, Integer> chainLengths, long examinedToFindAll) {

        public double loadFactor() {
            return (double) entries / buckets;
        }

        /** Chain entries a successful lookup examines on average (1 is ideal). */
        public double examinedPerLookup() {
            return entries == 0 ? 0 : (double) examinedToFindAll / entries;
        }

        /** This part and {@code other} (disjoint bucket ranges) as one; the first longest chain wins ties. */
        public Distribution plus(Distribution other) {
            SortedMap<Integer, Integer> histogram = new TreeMap<>(chainLengths);
            other.chainLengths.forEach((length, count) -> histogram.merge(length, count, Integer::sum));
            boolean otherLonger = other.longestChain > longestChain;
            return new Distribution(buckets + other.buckets, entries + other.entries, usedBuckets + other.usedBuckets,
                    otherLonger ? other.longestChain : longestChain, otherLonger ? other.longestBucket : longestBucket,
                    histogram, examinedToFindAll + other.examinedToFindAll);
        }
    }

    /** Where an entry sits: its stored hash, its bucket, its 0-based place in the chain and the chain's length. */
    public record Position(int hash, int bucket, int index, int chainLength) {
    }

    /** What a traced lookup saw: the hash, the bucket and each chain entry compared on the way. */
    public record Lookup(Tcb found, int hash, int bucket, List<String> compared) {
    }

    private final TupleHash hashFunction;
    private final Entry[] buckets;
    private final int mask;
    private int size;

    public EstablishedTable(TupleHash hashFunction, int bucketCount) {
        if (bucketCount < 1 || Integer.bitCount(bucketCount) != 1) {
            throw new IllegalArgumentException("bucket count must be a power of two, got " + bucketCount);
        }
        this.hashFunction = hashFunction;
        this.buckets = new Entry[bucketCount];
        this.mask = bucketCount - 1;
    }

    public TupleHash hashFunction() {
        return hashFunction;
    }

    public int bucketCount() {
        return buckets.length;
    }

    public int size() {
        return size;
    }

    public int bucketOf(FourTuple tuple) {
        return hashFunction.hash(tuple) & mask;
    }

    public void insert(Tcb tcb) {
        int hash = hashFunction.hash(tcb.tuple());
        int index = hash & mask;
        buckets[index] = new Entry(tcb, hash, buckets[index]);
        size++;
    }

    /** Removes this TCB's entry; returns false when it was not in the table. */
    public boolean remove(Tcb tcb) {
        int index = hashFunction.hash(tcb.tuple()) & mask;
        Entry previous = null;
        for (Entry entry = buckets[index]; entry != null; previous = entry, entry = entry.next) {
            if (entry.tcb == tcb) {
                if (previous == null) {
                    buckets[index] = entry.next;
                } else {
                    previous.next = entry.next;
                }
                size--;
                return true;
            }
        }
        return false;
    }

    /** The fast path: hash, pick the bucket, walk its chain. */
    public Tcb find(FourTuple tuple) {
        int hash = hashFunction.hash(tuple);
        long remote = key(tuple.remote());
        long local = key(tuple.local());
        for (Entry entry = buckets[hash & mask]; entry != null; entry = entry.next) {
            if (entry.hash == hash && entry.remote == remote && entry.local == local) {
                return entry.tcb;
            }
        }
        return null;
    }

    /** The same walk as {@link #find}, recording every comparison for the packet's explanation. */
    public Lookup trace(FourTuple tuple) {
        int hash = hashFunction.hash(tuple);
        int index = hash & mask;
        Compared compared = new Compared(hash);
        for (Entry entry = buckets[index]; entry != null; entry = entry.next) {
            boolean match = entry.hash == hash && entry.tcb.tuple().equals(tuple);
            compared.add(entry.tcb.tuple(), entry.hash, match);
            if (match) {
                return new Lookup(entry.tcb, hash, index, compared);
            }
        }
        return new Lookup(null, hash, index, compared);
    }

    /**
     * The chain entries a traced lookup compared, kept as tuples and hashes (immutable) and written out only when
     * read: a trace nobody reads costs no text.
     */
    private static final class Compared extends java.util.AbstractList<String> {
        private final int hash;
        private final List<FourTuple> tuples = new ArrayList<>(2);
        private int[] hashes = new int[2];
        private boolean matched;

        Compared(int hash) {
            this.hash = hash;
        }

        void add(FourTuple tuple, int entryHash, boolean match) {
            if (tuples.size() == hashes.length) {
                hashes = java.util.Arrays.copyOf(hashes, hashes.length * 2);
            }
            hashes[tuples.size()] = entryHash;
            tuples.add(tuple);
            matched = match;
        }

        @Override
        public String get(int i) {
            boolean match = matched && i == tuples.size() - 1;
            return tuples.get(i) + (match ? " matches" : hashes[i] != hash
                    ? " differs (stored hash 0x" + Integer.toHexString(hashes[i]) + ")" : " differs");
        }

        @Override
        public int size() {
            return tuples.size();
        }
    }

    /** The TCBs chained in one bucket, head first. */
    public List<Tcb> chain(int index) {
        List<Tcb> chain = new ArrayList<>();
        for (Entry entry = buckets[index]; entry != null; entry = entry.next) {
            chain.add(entry.tcb);
        }
        return chain;
    }

    public int chainLength(int index) {
        int length = 0;
        for (Entry entry = buckets[index]; entry != null; entry = entry.next) {
            length++;
        }
        return length;
    }

    /** Every TCB in the table, bucket by bucket. */
    public List<Tcb> all() {
        return all(0, buckets.length);
    }

    /**
     * The connections in buckets {@code from} (inclusive) to {@code to} (exclusive), in the order {@link #all()}
     * lists them, so a long view can walk a large table a range of buckets per turn of the kernel lock.
     */
    public List<Tcb> all(int from, int to) {
        int end = Math.min(to, buckets.length);
        List<Tcb> all = new ArrayList<>(from <= 0 && end == buckets.length ? size : 16);
        for (int i = Math.max(0, from); i < end; i++) {
            for (Entry entry = buckets[i]; entry != null; entry = entry.next) {
                all.add(entry.tcb);
            }
        }
        return all;
    }

    /**
     * Checks the table's own structure: every entry sits in the bucket its tuple hashes to, with the hash it
     * stores, no tuple appears twice, and the size matches the chains. Returns what is wrong, empty when sound.
     */
    public List<String> verify() {
        List<String> problems = new ArrayList<>();
        java.util.Set<FourTuple> seen = new java.util.HashSet<>();
        int counted = 0;
        for (int i = 0; i < buckets.length; i++) {
            for (Entry entry = buckets[i]; entry != null; entry = entry.next) {
                counted++;
                int hash = hashFunction.hash(entry.tcb.tuple());
                if (hash != entry.hash || (hash & mask) != i) {
                    problems.add(entry.tcb.tuple() + " is in bucket " + i + " but hashes to bucket " + (hash & mask));
                }
                if (!seen.add(entry.tcb.tuple())) {
                    problems.add(entry.tcb.tuple() + " appears twice in the established table");
                }
            }
        }
        if (counted != size) {
            problems.add("the established table counts " + size + " entries but its chains hold " + counted);
        }
        return problems;
    }

    /**
     * The distribution over buckets {@code from} (inclusive) to {@code to} (exclusive), so a long view can walk a large
     * table a range at a time and {@link Distribution#plus add} the parts; its {@code entries} are the entries counted
     * in the range and {@code longestBucket} is an index into the whole table.
     */
    public Distribution distribution(int from, int to) {
        SortedMap<Integer, Integer> histogram = new TreeMap<>();
        int used = 0;
        int entries = 0;
        int longest = 0;
        int longestBucket = -1;
        long examined = 0;
        for (int i = Math.max(0, from); i < Math.min(to, buckets.length); i++) {
            int length = 0;
            for (Entry entry = buckets[i]; entry != null; entry = entry.next) {
                length++;
            }
            histogram.merge(length, 1, Integer::sum);
            if (length > 0) {
                used++;
                entries += length;
                examined += (long) length * (length + 1) / 2;
                if (length > longest) {
                    longest = length;
                    longestBucket = i;
                }
            }
        }
        return new Distribution(Math.max(0, Math.min(to, buckets.length) - Math.max(0, from)), entries, used, longest,
                longestBucket, histogram, examined);
    }

    /** The distribution over every bucket (one pass). */
    public Distribution distribution() {
        SortedMap<Integer, Integer> histogram = new TreeMap<>();
        int used = 0;
        int longest = 0;
        int longestBucket = -1;
        long examined = 0;
        for (int i = 0; i < buckets.length; i++) {
            int length = 0;
            for (Entry entry = buckets[i]; entry != null; entry = entry.next) {
                length++;
            }
            histogram.merge(length, 1, Integer::sum);
            if (length > 0) {
                used++;
                examined += (long) length * (length + 1) / 2;
                if (length > longest) {
                    longest = length;
                    longestBucket = i;
                }
            }
        }
        return new Distribution(buckets.length, size, used, longest, longestBucket, histogram, examined);
    }

    /** Where {@code tcb} is chained, or null when it is not in the table. */
    public Position positionOf(Tcb tcb) {
        int hash = hashFunction.hash(tcb.tuple());
        int index = hash & mask;
        int position = -1;
        int length = 0;
        for (Entry entry = buckets[index]; entry != null; entry = entry.next) {
            if (entry.tcb == tcb) {
                position = length;
            }
            length++;
        }
        return position < 0 ? null : new Position(hash, index, position, length);
    }
}
