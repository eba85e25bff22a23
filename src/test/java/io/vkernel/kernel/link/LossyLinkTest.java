package io.vkernel.kernel.link;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelCheck;
import io.vkernel.kernel.nic.WireRecord;
import io.vkernel.kernel.wire.Seq;
import org.junit.jupiter.api.Test;
import org.quicktheories.QuickTheory;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static io.vkernel.kernel.link.NetworkTest.kernel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * A megabyte each way between two kernels across a link that loses 10 % of packets and reorders a quarter of them:
 * every byte arrives once and in order, and the link's capture shows the retransmissions that made it so. A property
 * over link seeds (each seed a different pattern of losses); a failure prints "Seed was N" and
 * {@code -DQT_SEED=N} replays it.
 */
class LossyLinkTest {

    static final int MEGABYTE = 1 << 20;

    static QuickTheory qt(int examples) {
        QuickTheory theory = QuickTheory.qt().withExamples(examples).withShrinkCycles(0);
        return System.getProperty("QT_SEED") == null ? theory.withFixedSeed(20_261_130L) : theory;
    }

    @Test
    void megabyteEachWay_acrossTenPercentLossWithReordering_arrivesOnceInOrder() {
        qt(3).forAll(longs().all()).checkAssert(LossyLinkTest::megabyteEachWay);
    }

    static void megabyteEachWay(long linkSeed) {
        Kernel alice = kernel("alice", "10.0.0.1", linkSeed ^ 1);
        Kernel bob = kernel("bob", "10.0.0.2", linkSeed ^ 2);
        Network lab = new Network("lab", List.of(alice, bob), new LinkSettings(5, 2, 10, 1, 25, 0, linkSeed));
        byte[] up = bytes(MEGABYTE, linkSeed);
        byte[] down = bytes(MEGABYTE, ~linkSeed);

        BulkTransfer transfer = new BulkTransfer(lab, alice, bob, 80, 10, 120_000);
        BulkTransfer.Result result = transfer.exchange(up, down, 10, 600_000);

        assertThat(result.finished()).as("both megabytes arrived within 600 s of network time").isTrue();
        assertThat(result.readByServer()).as("bob read alice's megabyte once, in order").isEqualTo(up);
        assertThat(result.readByClient()).as("alice read bob's megabyte once, in order").isEqualTo(down);
        Link.Counters counters = lab.link().counters();
        assertThat(counters.lost()).isPositive();
        assertThat(counters.reordered()).isPositive();
        assertThat(retransmissions(lab.link().capture())).as("data segments the capture shows twice or more").isPositive();
        assertThat(alice.inspect(KernelCheck::run).ok()).isTrue();
        assertThat(bob.inspect(KernelCheck::run).ok()).isTrue();
    }

    /** Data segments whose sequence number the capture has already seen from the same sender: retransmissions. */
    static int retransmissions(List<WireRecord> capture) {
        Map<Integer, Set<Integer>> seen = new HashMap<>();
        int again = 0;
        for (WireRecord record : capture) {
            if (record.segment().payload().length == 0) {
                continue;
            }
            if (!seen.computeIfAbsent(record.segment().src().address(), a -> new HashSet<>()).add(record.segment().seq())) {
                again++;
            }
        }
        return again;
    }

    static byte[] bytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
