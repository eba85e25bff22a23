package io.vkernel.kernel.demux;

import io.vkernel.kernel.Kernel;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demux view walks a large table a range of buckets at a time and adds the parts: the sum of the ranges must be
 * the table's shape counted in one pass, whatever the ranges.
 */
class EstablishedTableDistributionTest {

    @Test
    void rangesAddedUp_areTheWholeTable_forAnySplit() {
        Kernel kernel = CrowdedKernel.of("dist");
        EstablishedTable.Distribution whole = kernel.inspect(k -> k.established().distribution());
        assertThat(whole.buckets()).isEqualTo(64);
        assertThat(whole.entries()).isEqualTo(300);

        for (int chunk : new int[] {1, 5, 16, 63, 64, 1000}) {
            EstablishedTable.Distribution sum = kernel.inspect(k -> k.established().distribution(0, 0));
            for (int from = 0; from < 64; from += chunk) {
                int start = from;
                sum = sum.plus(kernel.inspect(k -> k.established().distribution(start, start + chunk)));
            }
            assertThat(sum).as("chunks of %d", chunk).isEqualTo(whole);
        }
    }

    @Test
    void aRange_countsOnlyItsBuckets_andNamesItsLongestChainByTableIndex() {
        Kernel kernel = CrowdedKernel.of("dist");
        EstablishedTable.Distribution whole = kernel.inspect(k -> k.established().distribution());
        EstablishedTable.Distribution upper = kernel.inspect(k -> k.established().distribution(32, 64));
        EstablishedTable.Distribution lower = kernel.inspect(k -> k.established().distribution(0, 32));
        assertThat(upper.buckets()).isEqualTo(32);
        assertThat(lower.entries() + upper.entries()).isEqualTo(300);
        assertThat(lower.usedBuckets() + upper.usedBuckets()).isEqualTo(whole.usedBuckets());
        if (upper.longestChain() > 0) {
            assertThat(upper.longestBucket()).isBetween(32, 63);
        }
        // the histogram counts every bucket in the range, empty ones under length 0
        assertThat(upper.chainLengths().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(32);
        long examined = 0;
        Map<Integer, Integer> lengths = new TreeMap<>(whole.chainLengths());
        for (Map.Entry<Integer, Integer> e : lengths.entrySet()) {
            examined += (long) e.getValue() * e.getKey() * (e.getKey() + 1) / 2;
        }
        assertThat(whole.examinedToFindAll()).as("sum of L(L+1)/2 over the chains").isEqualTo(examined);
        // ranges past the table's end are clipped, an empty range is empty
        EstablishedTable.Distribution clipped = kernel.inspect(k -> k.established().distribution(60, 10_000));
        assertThat(clipped.buckets()).isEqualTo(4);
        EstablishedTable.Distribution empty = kernel.inspect(k -> k.established().distribution(10, 10));
        assertThat(empty.buckets()).isZero();
        assertThat(empty.entries()).isZero();
        assertThat(empty.longestBucket()).isEqualTo(-1);
    }

    @Test
    void plus_keepsTheFirstLongestChainOnTies_andTakesALongerOneFromTheOtherPart() {
        Kernel kernel = CrowdedKernel.of("dist");
        EstablishedTable.Distribution whole = kernel.inspect(k -> k.established().distribution());
        EstablishedTable.Distribution lower = kernel.inspect(k -> k.established().distribution(0, 32));
        EstablishedTable.Distribution upper = kernel.inspect(k -> k.established().distribution(32, 64));
        EstablishedTable.Distribution joined = lower.plus(upper);
        assertThat(joined.longestChain()).isEqualTo(Math.max(lower.longestChain(), upper.longestChain()));
        assertThat(joined.longestBucket()).isEqualTo(upper.longestChain() > lower.longestChain() ? upper.longestBucket() : lower.longestBucket());
        assertThat(joined.longestBucket()).isEqualTo(whole.longestBucket());
        EstablishedTable.Distribution self = lower.plus(lower);
        assertThat(self.longestBucket()).as("a tie keeps the first part's bucket").isEqualTo(lower.longestBucket());
        assertThat(self.entries()).isEqualTo(2 * lower.entries());
        assertThat(self.examinedToFindAll()).isEqualTo(2 * lower.examinedToFindAll());
        assertThat(self.chainLengths()).allSatisfy((length, count) -> assertThat(count).isEqualTo(2 * lower.chainLengths().get(length)));
    }

    @Test
    void connectionsListedARangeOfBucketsAtATime_areAllOfThemInTheSameOrder() {
        Kernel kernel = CrowdedKernel.of("dist");
        var all = kernel.inspect(k -> k.established().all());
        assertThat(all).hasSize(300);
        for (int chunk : new int[] {1, 7, 64}) {
            java.util.List<io.vkernel.kernel.tcp.Tcb> joined = new java.util.ArrayList<>();
            for (int from = 0; from < 64; from += chunk) {
                int start = from;
                joined.addAll(kernel.inspect(k -> k.established().all(start, start + chunk)));
            }
            assertThat(joined).as("ranges of %d buckets", chunk).containsExactlyElementsOf(all);
        }
        java.util.List<io.vkernel.kernel.tcp.Tcb> pastTheEnd = kernel.inspect(k -> k.established().all(64, 128));
        assertThat(pastTheEnd).isEmpty();
    }
}
