package io.vkernel.kernel;

import io.vkernel.kernel.demux.JenkinsHash;
import io.vkernel.kernel.demux.XorHash;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The seed's teaching hash, worked by hand, and why Linux does not use it: swapped tuples collide. */
class XorHashTest {

    private final XorHash xor = new XorHash();

    private static FourTuple tuple(String remote, String local) {
        return new FourTuple(Endpoint.parse(remote), Endpoint.parse(local));
    }

    @Test
    void hash_isSrcIpXorSrcPortShifted16XorDstIpXorDstPort() {
        // 0xc0a80164 ^ (54321 << 16 = 0xd4310000) ^ 0x0a000032 ^ 8080 (0x1f90)
        assertThat(xor.hash(tuple("192.168.1.100:54321", "10.0.0.50:8080"))).isEqualTo(0x1e991ec6);
        assertThat(xor.name()).isEqualTo("xor");
        assertThat(xor.formula()).startsWith("src_ip ^ (src_port << 16) ^ dst_ip ^ dst_port");
        assertThat(new JenkinsHash(1).name()).isEqualTo("jhash");
        assertThat(new JenkinsHash(1).formula()).startsWith("jhash_3words(");
    }

    @Test
    void swappingTheAddresses_landsInTheSameBucket() {
        assertThat(xor.hash(tuple("10.0.0.50:54321", "192.168.1.100:8080")))
                .isEqualTo(xor.hash(tuple("192.168.1.100:54321", "10.0.0.50:8080")));
        assertThat(xor.hash(tuple("192.168.1.100:54321", "10.0.0.50:8081")))
                .isNotEqualTo(xor.hash(tuple("192.168.1.100:54321", "10.0.0.50:8080")));
    }
}
