package io.vkernel.kernel;

import io.vkernel.journal.JournalCodec;
import io.vkernel.kernel.socket.Errno;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * setsockopt/getsockopt TCP_FASTOPEN_KEY (do_tcp_setsockopt() -> tcp_fastopen_reset_cipher()): a socket's own
 * cookie key of 16 bytes, or 32 with a backup key; the bytes are the sysctl's words little-endian.
 */
class FastOpenKeyTest {

    private static final HexFormat HEX = HexFormat.of();
    /** The key net.ipv4.tcp_fastopen_key spells a0bf63f7-ed803d81-cd641d30-cebc4a90. */
    private static final byte[] KEY = HEX.parseHex("f763bfa0813d80ed301d64cd904abcce");

    private final Kernel kernel = new Kernel(KernelConfig.defaults("fo-key", 42));
    private final int pid = kernel.spawn("server").pid();
    private final int fd = (int) done(kernel.socket(pid)).ret();

    @Test
    void setKey_isReadBack_asTheBytesWritten_andStraceShowsThem() {
        var set = done(kernel.setsockopt(pid, fd, "TCP_FASTOPEN_KEY", KEY));
        assertThat(set.ret()).isZero();
        assertThat(set.strace()).isEqualTo("setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, "
                + "\"\\367c\\277\\240\\201=\\200\\3550\\35d\\315\\220J\\274\\316\", 16) = 0");
        var got = done(kernel.getsockopt(pid, fd, "TCP_FASTOPEN_KEY"));
        assertThat(got.data()).isEqualTo(KEY);
    }

    @Test
    void withoutItsOwnKey_aSocketReadsTheSysctlsKey() {
        kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_FASTOPEN_KEY + ".0", 0xa0bf63f7L);
            k.sysctls().set(Sysctls.TCP_FASTOPEN_KEY + ".1", 0xed803d81L);
            k.sysctls().set(Sysctls.TCP_FASTOPEN_KEY + ".2", 0xcd641d30L);
            k.sysctls().set(Sysctls.TCP_FASTOPEN_KEY + ".3", 0xcebc4a90L);
            return null;
        });
        assertThat(done(kernel.getsockopt(pid, fd, "TCP_FASTOPEN_KEY")).data()).isEqualTo(KEY);
    }

    @Test
    void aPrimaryAndABackupKey_areTakenTogether_otherLengthsAreEinval() {
        byte[] both = new byte[32];
        System.arraycopy(KEY, 0, both, 16, 16);
        assertThat(done(kernel.setsockopt(pid, fd, "TCP_FASTOPEN_KEY", both)).ret()).isZero();
        assertThat(done(kernel.getsockopt(pid, fd, "TCP_FASTOPEN_KEY")).data()).isEqualTo(both);
        for (int length : new int[] {0, 3, 15, 17, 31, 33}) {
            assertErrno(done(kernel.setsockopt(pid, fd, "TCP_FASTOPEN_KEY", new byte[length])), Errno.EINVAL);
        }
        // a refused key leaves the one set before
        assertThat(done(kernel.getsockopt(pid, fd, "TCP_FASTOPEN_KEY")).data()).isEqualTo(both);
        assertErrno(done(kernel.setsockopt(pid, fd, "TCP_NODELAY", KEY)), Errno.EINVAL);
    }

    @Test
    void theCall_isJournaled_andItsEntryReadsBackUnchanged() {
        java.util.List<KernelInput> inputs = new java.util.ArrayList<>();
        Kernel recorded = new Kernel(KernelConfig.defaults("fo-key-journal", 42));
        recorded.recordInputs((k, input) -> inputs.add(input));
        int p = recorded.spawn("server").pid();
        int s = (int) done(recorded.socket(p)).ret();
        done(recorded.setsockopt(p, s, "TCP_FASTOPEN_KEY", KEY));
        KernelInput last = inputs.get(inputs.size() - 1);
        String entry = JournalCodec.entry(7, last);
        assertThat(entry).contains("setsockoptbytes").contains("TCP_FASTOPEN_KEY");
        assertThat(JournalCodec.entry(7, JournalCodec.parseEntry(8, entry))).isEqualTo(entry);
    }
}
