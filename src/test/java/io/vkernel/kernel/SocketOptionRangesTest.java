package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * setsockopt()'s range checks at their edges and what getsockopt() then reads back, on a socket not yet connected,
 * as do_tcp_setsockopt(), do_ip_setsockopt() and sk_setsockopt() check them: the last value taken and the first
 * refused with EINVAL on each side, a refused value leaving the old one, and the defaults read before any set.
 */
class SocketOptionRangesTest {

    private final Kernel kernel = new Kernel(KernelConfig.defaults("option-ranges", 3));
    private final int pid = kernel.spawn("app").pid();
    private final int fd = (int) done(kernel.socket(pid)).ret();

    private SyscallResult set(String option, long value) {
        return done(kernel.setsockopt(pid, fd, option, value, true));
    }

    private long get(String option) {
        SyscallResult result = done(kernel.getsockopt(pid, fd, option));
        assertThat(result.errno()).as(option).isNull();
        return result.value();
    }

    /** {@code low} and {@code high} are taken and read back; one below and one above are EINVAL, keeping {@code high}. */
    private void assertRange(String option, long low, long high) {
        assertThat(set(option, low).ret()).as(option + " = " + low).isZero();
        assertThat(get(option)).as(option).isEqualTo(low);
        assertThat(set(option, high).ret()).as(option + " = " + high).isZero();
        assertThat(get(option)).as(option).isEqualTo(high);
        assertEinval(set(option, low - 1), option + " = " + (low - 1));
        assertEinval(set(option, high + 1), option + " = " + (high + 1));
        assertThat(get(option)).as(option + " after the refusals").isEqualTo(high);
    }

    private static void assertEinval(SyscallResult result, String what) {
        assertThat(result.ret()).as(what).isEqualTo(-1);
        assertThat(result.errno()).as(what).isEqualTo(Errno.EINVAL);
    }

    @Test
    void timerCounts_readTheSysctlsUntilSet() {
        assertThat(get("TCP_SYNCNT")).isEqualTo(6);
        assertThat(get("TCP_KEEPIDLE")).isEqualTo(7200);
        assertThat(get("TCP_KEEPINTVL")).isEqualTo(75);
        assertThat(get("TCP_KEEPCNT")).isEqualTo(9);
        kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_SYN_RETRIES, 3);
            k.sysctls().set(Sysctls.TCP_KEEPALIVE_TIME, 60);
            k.sysctls().set(Sysctls.TCP_KEEPALIVE_INTVL, 5);
            k.sysctls().set(Sysctls.TCP_KEEPALIVE_PROBES, 2);
            return null;
        });
        assertThat(get("TCP_SYNCNT")).isEqualTo(3);
        assertThat(get("TCP_KEEPIDLE")).isEqualTo(60);
        assertThat(get("TCP_KEEPINTVL")).isEqualTo(5);
        assertThat(get("TCP_KEEPCNT")).isEqualTo(2);
    }

    @Test
    void timerCounts_takeOneToTheirMaximum_fromIncludeNetTcpH() {
        assertRange("TCP_SYNCNT", 1, 127);
        assertRange("TCP_KEEPIDLE", 1, 32767);
        assertRange("TCP_KEEPINTVL", 1, 32767);
        assertRange("TCP_KEEPCNT", 1, 127);
        assertThat(set("TCP_SYNCNT", 0).strace()).isEqualTo("setsockopt(" + fd + ", SOL_TCP, TCP_SYNCNT, [0], 4) = -1 EINVAL (Invalid argument)");
    }

    @Test
    void userTimeoutInqMtuDiscover_haveLinuxsRanges() {
        assertThat(get("TCP_USER_TIMEOUT")).isZero();
        assertRange("TCP_USER_TIMEOUT", 0, Integer.MAX_VALUE);
        assertThat(get("TCP_INQ")).isZero();
        assertRange("TCP_INQ", 0, 1);
        assertRange("IP_MTU_DISCOVER", 0, 5); // IP_PMTUDISC_DONT .. IP_PMTUDISC_OMIT
        assertThat(set("IP_MTU_DISCOVER", 2).ret()).isZero();
        assertThat(get("IP_MTU_DISCOVER")).isEqualTo(2);
    }

    @Test
    void ipTos_keepsTheSocketsEcnBits_andRefusesMoreThanAByte() {
        assertThat(get("IP_TOS")).isZero();
        assertThat(set("IP_TOS", 0xff).ret()).isZero();
        assertThat(get("IP_TOS")).isEqualTo(0xfc); // the two ECN bits are the stack's, not the application's
        assertThat(set("IP_TOS", 0x11).ret()).isZero();
        assertThat(get("IP_TOS")).isEqualTo(0x10);
        assertEinval(set("IP_TOS", 0x100), "IP_TOS = 256");
        assertEinval(set("IP_TOS", -1), "IP_TOS = -1");
        assertThat(get("IP_TOS")).isEqualTo(0x10);
    }

    @Test
    void booleanOptions_takeAnyNonZeroAsOn() {
        for (String option : new String[] {"IP_FREEBIND", "SO_OOBINLINE", "SO_REUSEADDR", "SO_KEEPALIVE", "TCP_NODELAY", "TCP_CORK"}) {
            assertThat(get(option)).as(option).isZero();
            assertThat(set(option, 7).ret()).as(option).isZero();
            assertThat(get(option)).as(option).isEqualTo(1);
            assertThat(set(option, 0).ret()).as(option).isZero();
            assertThat(get(option)).as(option).isZero();
        }
    }

    @Test
    void zerocopyAndFastOpenConnect_takeOnlyZeroOrOne() {
        assertRange("SO_ZEROCOPY", 0, 1);
        assertRange("TCP_FASTOPEN_CONNECT", 0, 1);
        assertRange("TCP_FASTOPEN_NO_COOKIE", 0, 1);
    }

    @Test
    void soMark_isAny32BitValue() {
        assertThat(get("SO_MARK")).isZero();
        assertThat(set("SO_MARK", -1).ret()).isZero();
        assertThat(get("SO_MARK")).isEqualTo(0xffff_ffffL);
        assertThat(set("SO_MARK", 0x1_0000_0005L).ret()).isZero();
        assertThat(get("SO_MARK")).isEqualTo(5);
    }

    @Test
    void tcpNotsentLowat_isAnUnsigned32BitValue() {
        assertThat(get("TCP_NOTSENT_LOWAT")).isZero();
        assertRange("TCP_NOTSENT_LOWAT", 0, 0xffff_ffffL);
    }

    @Test
    void tcpMaxseg_isZeroOr88To32767_andReads536UntilSet() {
        assertThat(get("TCP_MAXSEG")).isEqualTo(536); // TCP_MSS_DEFAULT
        assertEinval(set("TCP_MAXSEG", 87), "TCP_MAXSEG = 87");
        assertThat(set("TCP_MAXSEG", 88).ret()).isZero();
        assertThat(get("TCP_MAXSEG")).isEqualTo(88);
        assertThat(set("TCP_MAXSEG", 32767).ret()).isZero();
        assertThat(get("TCP_MAXSEG")).isEqualTo(32767);
        assertEinval(set("TCP_MAXSEG", 32768), "TCP_MAXSEG = 32768");
        assertThat(get("TCP_MAXSEG")).isEqualTo(32767);
        assertThat(set("TCP_MAXSEG", 0).ret()).isZero();
        assertThat(get("TCP_MAXSEG")).isEqualTo(536);
    }

    @Test
    void bufferSizes_readTheSysctlDefaults_thenTwiceWhatWasAsked_withinTheFloorAndCeiling() {
        assertThat(get("SO_RCVBUF")).isEqualTo(131072);
        assertThat(get("SO_SNDBUF")).isEqualTo(16384);
        set("SO_RCVBUF", 100_000);
        set("SO_SNDBUF", 100_000);
        assertThat(get("SO_RCVBUF")).isEqualTo(200_000);
        assertThat(get("SO_SNDBUF")).isEqualTo(200_000);
        set("SO_RCVBUF", 1);
        set("SO_SNDBUF", 1);
        assertThat(get("SO_RCVBUF")).isEqualTo(2304); // SOCK_MIN_RCVBUF
        assertThat(get("SO_SNDBUF")).isEqualTo(4608); // SOCK_MIN_SNDBUF
        set("SO_RCVBUF", 1 << 30);
        set("SO_SNDBUF", 1 << 30);
        assertThat(get("SO_RCVBUF")).isEqualTo(2 * 212992); // net.core.rmem_max, doubled
        assertThat(get("SO_SNDBUF")).isEqualTo(2 * 212992);
    }

    @Test
    void lingerAndTimeouts_areShownAsTheirStructs_andReadBack() {
        assertThat(get("SO_LINGER")).isEqualTo(-1); // l_onoff 0
        SyscallResult linger = done(kernel.setsockopt(pid, fd, "SO_LINGER", 5, true));
        assertThat(linger.strace()).isEqualTo("setsockopt(" + fd + ", SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=5}, 8) = 0");
        assertThat(get("SO_LINGER")).isEqualTo(5);
        SyscallResult off = done(kernel.setsockopt(pid, fd, "SO_LINGER", 5, false));
        assertThat(off.strace()).contains("{l_onoff=0, l_linger=5}");
        assertThat(get("SO_LINGER")).isEqualTo(-1);

        SyscallResult rcvtimeo = set("SO_RCVTIMEO", 2250);
        assertThat(rcvtimeo.strace()).isEqualTo("setsockopt(" + fd + ", SOL_SOCKET, SO_RCVTIMEO, {tv_sec=2, tv_usec=250000}, 16) = 0");
        assertThat(get("SO_RCVTIMEO")).isEqualTo(2250);
        assertThat(set("SO_SNDTIMEO", 999).strace()).contains("{tv_sec=0, tv_usec=999000}, 16");
        assertThat(get("SO_SNDTIMEO")).isEqualTo(999);
    }

    @Test
    void getsockopt_printsTheValueAndItsLength_andTheCongestionControlByName() {
        set("TCP_KEEPCNT", 4);
        assertThat(done(kernel.getsockopt(pid, fd, "TCP_KEEPCNT")).strace())
                .isEqualTo("getsockopt(" + fd + ", SOL_TCP, TCP_KEEPCNT, [4], [4]) = 0");
        SyscallResult cc = done(kernel.getsockopt(pid, fd, "TCP_CONGESTION"));
        assertThat(cc.strace()).isEqualTo("getsockopt(" + fd + ", SOL_TCP, TCP_CONGESTION, \"cubic\", [5]) = 0");
        assertThat(new String(cc.data(), java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("cubic");
        assertThat(done(kernel.getsockopt(pid, fd, "SO_ERROR")).strace())
                .isEqualTo("getsockopt(" + fd + ", SOL_SOCKET, SO_ERROR, [0], [4]) = 0");
    }

    @Test
    void unknownOptions_andNonSockets_areRefused() {
        assertEinval(done(kernel.getsockopt(pid, fd, "SO_BOGUS")), "getsockopt SO_BOGUS");
        assertEinval(set("SO_BOGUS", 1), "setsockopt SO_BOGUS");
        SyscallResult onTerminal = done(kernel.getsockopt(pid, 1, "SO_ERROR"));
        assertThat(onTerminal.errno()).isEqualTo(Errno.ENOTSOCK);
        assertThat(done(kernel.setsockopt(pid, 2, "TCP_NODELAY", 1, true)).errno()).isEqualTo(Errno.ENOTSOCK);
        assertThat(done(kernel.getsockopt(pid, 77, "SO_ERROR")).errno()).isEqualTo(Errno.EBADF);
        assertThat(done(kernel.close(pid, fd, new PacketReport(null))).ret()).isZero();
        assertThat(done(kernel.getsockopt(pid, fd, "SO_ERROR")).errno()).isEqualTo(Errno.EBADF);
    }

    @Test
    void aLockedReceiveBuffer_setsTheWindowScaleOfTheSyn() {
        // tcp_select_initial_window(): SO_RCVBUF clamps the window to tcp_full_space() = half of sk_rcvbuf; asked for
        // 1 MiB, sk_rcvbuf is 2 x rmem_max = 425984, so the clamp is 212992 and the scale ilog2(212992) - 15 = 2
        TcpFixture t = new TcpFixture();
        int fd = (int) done(t.kernel.socket(t.pid)).ret();
        done(t.kernel.setsockopt(t.pid, fd, "SO_RCVBUF", 1 << 20, true));
        PacketReport report = new PacketReport(null);
        t.kernel.connect(t.pid, fd, Endpoint.parse("192.0.2.1:80"), report);
        assertThat(report.sentSegments()).singleElement().extracting(s -> s.windowScale()).isEqualTo(2);

        int unlocked = (int) done(t.kernel.socket(t.pid)).ret();
        PacketReport plain = new PacketReport(null);
        t.kernel.connect(t.pid, unlocked, Endpoint.parse("192.0.2.1:81"), plain);
        assertThat(plain.sentSegments()).singleElement().as("tcp_rmem[2] 6 MiB: ilog2 - 15 = 7")
                .extracting(s -> s.windowScale()).isEqualTo(7);
    }
}
