package io.vkernel.kernel;

import io.vkernel.kernel.demux.EstablishedTable;
import io.vkernel.kernel.demux.XorHash;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The hash demonstration: which patterns collapse the seed's XOR hash, and the exact cost of each lookup structure. */
class HashDemoTest {

    private static final KernelConfig TEMPLATE = KernelConfig.defaults("demo", 7);
    private static final Endpoint SERVER = Endpoint.parse("10.0.0.50:8080");

    @Test
    void natPattern_putsEveryConnectionOfOneAddressInOneXorBucket_jhashSpreadsThem() {
        HashDemo.Result result = HashDemo.run(TEMPLATE, HashDemo.Pattern.NAT, 10_000, 65_536, ticking());
        EstablishedTable.Distribution xor = table(result, "xor");
        EstablishedTable.Distribution jhash = table(result, "jhash");
        assertThat(xor.entries()).isEqualTo(10_000);
        assertThat(xor.usedBuckets()).isEqualTo(1);
        assertThat(xor.longestChain()).isEqualTo(10_000);
        assertThat(xor.examinedPerLookup()).isEqualTo(5000.5);
        assertThat(jhash.usedBuckets()).isGreaterThan(9_000);
        assertThat(jhash.longestChain()).isLessThanOrEqualTo(8);
        assertThat(jhash.chainLengths().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(65_536);
    }

    @Test
    void floodPattern_sharesOneFullXorHash_soEvenMoreBucketsDoNotHelp() {
        List<FourTuple> tuples = HashDemo.tuples(HashDemo.Pattern.FLOOD, 1_000, SERVER, 1);
        XorHash xor = new XorHash();
        assertThat(tuples).doesNotHaveDuplicates();
        assertThat(tuples.stream().map(xor::hash).distinct()).hasSize(1);
        HashDemo.Result result = HashDemo.run(TEMPLATE, HashDemo.Pattern.FLOOD, 1_000, 1 << 22, ticking());
        assertThat(table(result, "xor").longestChain()).isEqualTo(1_000);
        assertThat(table(result, "jhash").longestChain()).isLessThanOrEqualTo(3);
    }

    @Test
    void randomClients_spreadWithBothHashes() {
        HashDemo.Result result = HashDemo.run(TEMPLATE, HashDemo.Pattern.RANDOM, 10_000, 65_536, ticking());
        assertThat(table(result, "xor").examinedPerLookup()).isLessThan(1.2);
        assertThat(table(result, "jhash").examinedPerLookup()).isLessThan(1.2);
    }

    @Test
    void performanceTable_hasTheSeedsFourSizes_linearScanExaminesHalfOfThem_jhashAboutOne() {
        AtomicLong millisecondTicks = new AtomicLong();
        HashDemo.Result result = HashDemo.run(TEMPLATE, HashDemo.Pattern.NAT, 100, 65_536, () -> millisecondTicks.addAndGet(1_000_000));
        assertThat(result.performance()).extracting(HashDemo.Row::connections).containsExactly(100, 1_000, 10_000, 100_000);
        HashDemo.Row last = result.performance().get(3);
        assertThat(last.linear().examinedPerLookup()).isEqualTo(50_000.5);
        assertThat(last.jhash().examinedPerLookup()).isLessThan(2.0);
        assertThat(last.xor().examinedPerLookup()).as("two NAT addresses, two chains").isGreaterThan(25_000);
        // the clock passed in moves 1 ms per reading, so each measurement spans exactly 1 ms of its lookups
        assertThat(last.linear().nsPerLookup() * last.linear().lookupsTimed()).isCloseTo(1_000_000.0, org.assertj.core.data.Percentage.withPercentage(0.1));
        assertThat(last.jhash().nsPerLookup() * last.jhash().lookupsTimed()).isCloseTo(1_000_000.0, org.assertj.core.data.Percentage.withPercentage(0.1));
        assertThat(last.linear().lookupsTimed()).isBetween(5, 20_000);
    }

    @Test
    void natPattern_usesASecondGatewayAddressAfter64512Ports() {
        List<FourTuple> tuples = HashDemo.tuples(HashDemo.Pattern.NAT, 64_513, SERVER, 1);
        assertThat(tuples.get(0).remote()).hasToString("203.0.113.7:1024");
        assertThat(tuples.get(64_511).remote()).hasToString("203.0.113.7:65535");
        assertThat(tuples.get(64_512).remote()).hasToString("203.0.113.8:1024");
    }

    private static EstablishedTable.Distribution table(HashDemo.Result result, String hash) {
        return result.tables().stream().filter(t -> t.hash().equals(hash)).findFirst().orElseThrow().distribution();
    }

    /** A clock that moves one nanosecond per reading, so timings are positive and the test needs no real clock. */
    private static java.util.function.LongSupplier ticking() {
        AtomicLong now = new AtomicLong();
        return now::incrementAndGet;
    }
}
