package io.vkernel.kernel.syscall;

import io.vkernel.kernel.wire.Endpoint;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static io.vkernel.kernel.syscall.Syscalls.MSG_DONTWAIT;
import static io.vkernel.kernel.syscall.Syscalls.MSG_EOR;
import static io.vkernel.kernel.syscall.Syscalls.MSG_ERRQUEUE;
import static io.vkernel.kernel.syscall.Syscalls.MSG_FASTOPEN;
import static io.vkernel.kernel.syscall.Syscalls.MSG_MORE;
import static io.vkernel.kernel.syscall.Syscalls.MSG_NOSIGNAL;
import static io.vkernel.kernel.syscall.Syscalls.MSG_PEEK;
import static io.vkernel.kernel.syscall.Syscalls.MSG_ZEROCOPY;
import static io.vkernel.kernel.syscall.Syscalls.POLLERR;
import static io.vkernel.kernel.syscall.Syscalls.POLLHUP;
import static io.vkernel.kernel.syscall.Syscalls.POLLIN;
import static io.vkernel.kernel.syscall.Syscalls.POLLNVAL;
import static io.vkernel.kernel.syscall.Syscalls.POLLOUT;
import static io.vkernel.kernel.syscall.Syscalls.POLLPRI;
import static io.vkernel.kernel.syscall.Syscalls.POLLRDBAND;
import static io.vkernel.kernel.syscall.Syscalls.POLLRDHUP;
import static io.vkernel.kernel.syscall.Syscalls.POLLRDNORM;
import static io.vkernel.kernel.syscall.Syscalls.POLLWRBAND;
import static io.vkernel.kernel.syscall.Syscalls.POLLWRNORM;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pieces of an strace line the syscalls print, as strace prints them: a buffer in C escapes cut at 32 bytes,
 * msg_iov cut at 32 iovecs, MSG_ and POLL flags by bit order, a sockaddr_in, and the level of an option.
 */
class StraceTextTest {

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void quote_escapesAsStraceDoes_printableAsciiBetweenSpaceAndTilde_theRestInOctal() {
        assertThat(Syscalls.quote(bytes("a\nb\rc\td\"e\\f"))).isEqualTo("\"a\\nb\\rc\\td\\\"e\\\\f\"");
        // 0x20 and 0x7e are printed as they are; 0x1f, 0x7f, 0x80, 0xff and NUL in octal, without leading zeros
        assertThat(Syscalls.quote(new byte[] {0x20, 0x7e, 0x1f, 0x7f, (byte) 0x80, (byte) 0xff, 0}))
                .isEqualTo("\" ~\\37\\177\\200\\377\\0\"");
        assertThat(Syscalls.quote(new byte[0])).isEqualTo("\"\"");
    }

    @Test
    void quote_showsAtMost32Bytes_andMarksACutBufferWithDotsAfterTheQuote() {
        byte[] exactly32 = new byte[32];
        Arrays.fill(exactly32, (byte) 'x');
        assertThat(Syscalls.quote(exactly32)).isEqualTo("\"" + "x".repeat(32) + "\"");
        byte[] thirtyThree = Arrays.copyOf(exactly32, 33);
        thirtyThree[32] = 'y';
        assertThat(Syscalls.quote(thirtyThree)).isEqualTo("\"" + "x".repeat(32) + "\"...");
    }

    @Test
    void iovecs_splitTheBufferByEachLength_inOrder() {
        assertThat(Syscalls.iovecs(bytes("abcdef"), new int[] {2, 4}))
                .isEqualTo("[{iov_base=\"ab\", iov_len=2}, {iov_base=\"cdef\", iov_len=4}]");
        assertThat(Syscalls.iovecs(bytes("abc"), new int[] {3})).isEqualTo("[{iov_base=\"abc\", iov_len=3}]");
        // an iovec longer than what is left shows what is there and the length asked for
        assertThat(Syscalls.iovecs(bytes("abc"), new int[] {2, 5})).isEqualTo("[{iov_base=\"ab\", iov_len=2}, {iov_base=\"c\", iov_len=5}]");
    }

    @Test
    void iovecs_showTheFirst32_thenDots() {
        byte[] data = new byte[33];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) ('A' + (i % 26));
        }
        int[] ones = new int[33];
        Arrays.fill(ones, 1);
        String text = Syscalls.iovecs(data, ones);
        assertThat(text).startsWith("[{iov_base=\"A\", iov_len=1}, {iov_base=\"B\", iov_len=1}, ");
        assertThat(text).endsWith("{iov_base=\"F\", iov_len=1}, ...]"); // the 32nd is data[31] = 'A' + 5
        assertThat(text.split("iov_base", -1)).hasSize(33);
        int[] exactly32 = Arrays.copyOf(ones, 32);
        assertThat(Syscalls.iovecs(data, exactly32)).endsWith("{iov_base=\"F\", iov_len=1}]");
    }

    @Test
    void msgFlags_zeroIsZero_andEachBitIsNamedInBitOrder() {
        assertThat(Syscalls.msgFlags(0)).isEqualTo("0");
        assertThat(Syscalls.msgFlags(MSG_PEEK)).isEqualTo("MSG_PEEK");
        assertThat(Syscalls.msgFlags(MSG_DONTWAIT)).isEqualTo("MSG_DONTWAIT");
        assertThat(Syscalls.msgFlags(MSG_EOR)).isEqualTo("MSG_EOR");
        assertThat(Syscalls.msgFlags(MSG_ERRQUEUE)).isEqualTo("MSG_ERRQUEUE");
        assertThat(Syscalls.msgFlags(MSG_NOSIGNAL)).isEqualTo("MSG_NOSIGNAL");
        assertThat(Syscalls.msgFlags(MSG_MORE)).isEqualTo("MSG_MORE");
        assertThat(Syscalls.msgFlags(MSG_FASTOPEN)).isEqualTo("MSG_FASTOPEN");
        assertThat(Syscalls.msgFlags(MSG_ZEROCOPY)).isEqualTo("MSG_ZEROCOPY");
        assertThat(Syscalls.msgFlags(MSG_ZEROCOPY | MSG_MORE | MSG_PEEK | MSG_NOSIGNAL))
                .isEqualTo("MSG_PEEK|MSG_NOSIGNAL|MSG_MORE|MSG_ZEROCOPY");
    }

    @Test
    void pollNames_zeroIsZero_andTheBitsComeInStracesOrder() {
        assertThat(Syscalls.pollNames(0)).isEqualTo("0");
        assertThat(Syscalls.pollNames(POLLRDHUP | POLLWRBAND | POLLOUT | POLLIN)).isEqualTo("POLLIN|POLLOUT|POLLWRBAND|POLLRDHUP");
        assertThat(Syscalls.pollNames(POLLPRI | POLLERR | POLLHUP | POLLNVAL | POLLRDNORM | POLLRDBAND | POLLWRNORM))
                .isEqualTo("POLLPRI|POLLERR|POLLHUP|POLLNVAL|POLLRDNORM|POLLRDBAND|POLLWRNORM");
        assertThat(Syscalls.POLL_EVENTS).hasSize(11);
    }

    @Test
    void sockaddr_isASockaddrIn_withThePortInHtons() {
        assertThat(Syscalls.sockaddr(Endpoint.parse("192.168.1.100:54321")))
                .isEqualTo("{sa_family=AF_INET, sin_port=htons(54321), sin_addr=inet_addr(\"192.168.1.100\")}");
    }

    @Test
    void level_isSolTcpForTcpOptions_solIpForIpOptions_elseSolSocket() {
        assertThat(Syscalls.level("TCP_NODELAY")).isEqualTo("SOL_TCP");
        assertThat(Syscalls.level("IP_TOS")).isEqualTo("SOL_IP");
        assertThat(Syscalls.level("SO_ERROR")).isEqualTo("SOL_SOCKET");
        assertThat(Syscalls.level("SO_TIMESTAMPING")).isEqualTo("SOL_SOCKET");
    }
}
