package io.vkernel.kernel.tcp;

import io.vkernel.kernel.demux.EstablishedTable;
import io.vkernel.kernel.demux.TupleHash;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The established hash table's chains, with a hash chosen by the test so collisions are where we want them: the
 * stored hash is the remote port, the bucket its low two bits (4 buckets). Lives beside Tcb to build TCBs directly.
 */
class EstablishedTableTest {

    private ToIntFunction<FourTuple> hashOf = tuple -> tuple.remote().port();

    private final TupleHash byRemotePort = new TupleHash() {
        @Override
        public int hash(FourTuple tuple) {
            return hashOf.applyAsInt(tuple);
        }

        @Override
        public String name() {
            return "port";
        }

        @Override
        public String formula() {
            return "remote port";
        }
    };

    private final EstablishedTable table = new EstablishedTable(byRemotePort, 4);

    private static Tcb tcb(int remotePort) {
        return tcb("192.168.1.100", remotePort);
    }

    private static Tcb tcb(String remoteAddress, int remotePort) {
        FourTuple tuple = new FourTuple(Endpoint.parse(remoteAddress + ":" + remotePort), Endpoint.parse("10.0.0.50:8080"));
        return new Tcb(tuple, TcpState.ESTABLISHED, 0);
    }

    private static List<Integer> ports(List<Tcb> tcbs) {
        return tcbs.stream().map(t -> t.tuple().remote().port()).toList();
    }

    @Test
    void bucketCount_mustBeAPowerOfTwo() {
        for (int bad : new int[] {0, -4, 3, 6}) {
            assertThatThrownBy(() -> new EstablishedTable(byRemotePort, bad))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(String.valueOf(bad));
        }
        EstablishedTable one = new EstablishedTable(byRemotePort, 1);
        assertThat(one.bucketCount()).isEqualTo(1);
        Tcb a = tcb(7);
        one.insert(a);
        assertThat(one.find(a.tuple())).isSameAs(a);
        assertThat(one.hashFunction()).isSameAs(byRemotePort);
    }

    @Test
    void newEntries_goToTheHeadOfTheirChain() {
        Tcb a = tcb(1);
        Tcb b = tcb(5);
        Tcb c = tcb(9);
        Tcb d = tcb(2);
        for (Tcb t : List.of(a, b, c, d)) {
            table.insert(t);
        }
        assertThat(table.size()).isEqualTo(4);
        assertThat(table.bucketOf(a.tuple())).isEqualTo(1);
        assertThat(table.bucketOf(d.tuple())).isEqualTo(2);
        assertThat(ports(table.chain(1))).containsExactly(9, 5, 1);
        assertThat(table.chainLength(1)).isEqualTo(3);
        assertThat(table.chainLength(0)).isZero();
        assertThat(ports(table.all())).as("bucket by bucket, head first").containsExactly(9, 5, 1, 2);
        assertThat(table.positionOf(a)).isEqualTo(new EstablishedTable.Position(1, 1, 2, 3));
        assertThat(table.positionOf(c)).isEqualTo(new EstablishedTable.Position(9, 1, 0, 3));
        assertThat(table.positionOf(tcb(13))).as("not in the table").isNull();
    }

    @Test
    void find_comparesTheStoredHashThenTheWholeTuple() {
        Tcb a = tcb(1);
        Tcb b = tcb(5);
        table.insert(a);
        table.insert(b);
        assertThat(table.find(a.tuple())).isSameAs(a);
        assertThat(table.find(b.tuple())).isSameAs(b);
        assertThat(table.find(tcb(9).tuple())).as("same bucket, other hash").isNull();
        assertThat(table.find(tcb("192.168.1.101", 1).tuple())).as("same hash, other tuple").isNull();

        EstablishedTable.Lookup missing = table.trace(tcb("192.168.1.101", 1).tuple());
        assertThat(missing.found()).isNull();
        assertThat(missing.hash()).isEqualTo(1);
        assertThat(missing.bucket()).isEqualTo(1);
        assertThat(missing.compared()).containsExactly(
                b.tuple() + " differs (stored hash 0x5)",
                a.tuple() + " differs");
        EstablishedTable.Lookup hit = table.trace(a.tuple());
        assertThat(hit.found()).isSameAs(a);
        assertThat(hit.compared()).containsExactly(b.tuple() + " differs (stored hash 0x5)", a.tuple() + " matches");
        assertThat(table.trace(b.tuple()).compared()).as("the walk stops at the match").containsExactly(b.tuple() + " matches");
    }

    @Test
    void remove_unlinksHeadMiddleAndTail_andRefusesAnAbsentTcb() {
        Tcb a = tcb(1);
        Tcb b = tcb(5);
        Tcb c = tcb(9);
        Tcb d = tcb(13);
        for (Tcb t : List.of(a, b, c, d)) {
            table.insert(t);
        }
        assertThat(table.remove(tcb(17))).isFalse();
        assertThat(table.remove(tcb(2))).as("an empty bucket").isFalse();
        assertThat(table.size()).isEqualTo(4);
        assertThat(table.remove(c)).as("middle").isTrue();
        assertThat(ports(table.chain(1))).containsExactly(13, 5, 1);
        assertThat(table.remove(d)).as("head").isTrue();
        assertThat(ports(table.chain(1))).containsExactly(5, 1);
        assertThat(table.remove(a)).as("tail").isTrue();
        assertThat(ports(table.chain(1))).containsExactly(5);
        assertThat(table.remove(a)).as("already gone").isFalse();
        assertThat(table.size()).isEqualTo(1);
        assertThat(table.find(a.tuple())).isNull();
        assertThat(table.find(b.tuple())).isSameAs(b);
        assertThat(table.verify()).isEmpty();
    }

    @Test
    void distribution_countsChainsAndTheWorkToFindEveryEntry() {
        EstablishedTable.Distribution empty = table.distribution();
        assertThat(empty.usedBuckets()).isZero();
        assertThat(empty.longestBucket()).isEqualTo(-1);
        assertThat(empty.examinedPerLookup()).isZero();
        assertThat(empty.chainLengths()).isEqualTo(Map.of(0, 4));

        for (int port : new int[] {2, 6, 1, 5, 9, 3}) {
            table.insert(tcb(port));
        }
        EstablishedTable.Distribution d = table.distribution();
        assertThat(d.buckets()).isEqualTo(4);
        assertThat(d.entries()).isEqualTo(6);
        assertThat(d.usedBuckets()).isEqualTo(3);
        assertThat(d.longestChain()).isEqualTo(3);
        assertThat(d.longestBucket()).isEqualTo(1);
        assertThat(d.chainLengths()).isEqualTo(Map.of(0, 1, 1, 1, 2, 1, 3, 1));
        assertThat(d.examinedToFindAll()).as("3·4/2 + 2·3/2 + 1").isEqualTo(6 + 3 + 1);
        assertThat(d.loadFactor()).isEqualTo(1.5);
        assertThat(d.examinedPerLookup()).isEqualTo(10.0 / 6);

        table.insert(tcb(10));
        assertThat(table.distribution().longestBucket()).as("the first of equally long chains").isEqualTo(1);
    }

    @Test
    void verify_reportsEntriesInTheWrongBucket_andTuplesTwice() {
        Tcb a = tcb(1);
        table.insert(a);
        table.insert(tcb(2));
        assertThat(table.verify()).isEmpty();
        table.insert(a);
        assertThat(table.verify()).containsExactly(a.tuple() + " appears twice in the established table");
        table.remove(a);
        hashOf = tuple -> tuple.remote().port() + 1;
        assertThat(table.verify()).containsExactly(
                a.tuple() + " is in bucket 1 but hashes to bucket 2",
                tcb(2).tuple() + " is in bucket 2 but hashes to bucket 3");
        hashOf = tuple -> tuple.remote().port() + 4;
        assertThat(table.verify()).as("same bucket, but not the stored hash").containsExactly(
                a.tuple() + " is in bucket 1 but hashes to bucket 1",
                tcb(2).tuple() + " is in bucket 2 but hashes to bucket 2");
    }
}
