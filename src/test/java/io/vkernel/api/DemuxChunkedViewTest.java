package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.demux.CrowdedKernel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The demux view taken a range of buckets per turn of the lock shows what one turn over the whole table shows. */
class DemuxChunkedViewTest {

    @Test
    void chunkedDemuxView_equalsTheWholeTableView_withAndWithoutTruncation() {
        // xor over 64 buckets: long chains, many empty buckets, several chunks of 16
        Kernel kernel = CrowdedKernel.of("demux");

        Views.DemuxView whole = kernel.inspect(k -> Views.demux(k, 4096));
        Views.DemuxView chunked = Views.demux(kernel, 4096, 16);
        assertThat(whole.entries()).isEqualTo(300);
        assertThat(whole.usedBuckets()).isLessThan(64).isGreaterThan(1);
        assertThat(chunked).isEqualTo(whole);

        Views.DemuxView wholeFew = kernel.inspect(k -> Views.demux(k, 5));
        Views.DemuxView chunkedFew = Views.demux(kernel, 5, 16);
        assertThat(chunkedFew.truncated()).isTrue();
        assertThat(chunkedFew.nonEmptyBuckets()).hasSize(5);
        assertThat(chunkedFew).isEqualTo(wholeFew);
    }
}
