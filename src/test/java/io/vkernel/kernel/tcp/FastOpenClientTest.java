package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.Step;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Fast Open client (Linux 6.18 tcp_send_syn_data(), tcp_fastopen_cookie_check(), tcp_rcv_fastopen_synack()) step
 * by step: how much data the first SYN carries (cached MSS, path MTU, TCP_MAXSEG, 40 bytes of option space), the
 * cookie request and its experimental retry, where the option goes among the SYN's options, and what a SYN-ACK
 * teaches the cache and leaves to send again.
 */
class FastOpenClientTest {

    private static final Endpoint LOCAL = Endpoint.parse("192.168.0.1:40000");
    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:8080");
    private static final byte[] COOKIE = {1, 2, 3, 4, 5, 6, 7, 8};

    private final Sysctls sysctls = new Sysctls();
    private final Tcb tcb = new Tcb(new FourTuple(REMOTE, LOCAL), TcpState.SYN_SENT, 0);
    private final FastOpenClient.Cache cache = new FastOpenClient.Cache();
    private final Socket socket = new Socket(3);
    private final PacketReport report = new PacketReport(null);

    FastOpenClientTest() {
        tcb.iss = 1000;
    }

    private int remote() {
        return REMOTE.address();
    }

    private static List<String> details(PacketReport report) {
        return report.steps().stream().map(Step::detail).toList();
    }

    private FastOpenClient.Syn plan(int dataBytes) {
        return FastOpenClient.plan(tcb, cache, sysctls, socket, new byte[dataBytes], report);
    }

    @Test
    void withoutACachedCookie_theSynAsksForOne_withoutData_inKind254AfterAnUnansweredRequest() {
        FastOpenClient.Syn syn = plan(2000);
        assertThat(syn.synData()).isFalse();
        assertThat(syn.fastOpen()).isTrue();
        assertThat(syn.option).isEqualTo(new FastOpen.Cookie(new byte[0], false));
        assertThat(details(report)).singleElement().asString().contains("no Fast Open cookie cached for 192.0.2.1", "(FO)");
        assertThat(FastOpenClient.cookieAvailable(cache, remote(), sysctls, socket)).isFalse();

        cache.set(remote(), 1400, null, 1);
        assertThat(plan(2000).option).as("try_exp 1").isEqualTo(new FastOpen.Cookie(new byte[0], true));
        assertThat(FastOpenClient.cookieAvailable(cache, remote(), sysctls, socket)).as("an entry without a cookie").isFalse();
        cache.set(remote(), 1400, null, 2);
        assertThat(plan(2000).option).as("try_exp 2: kind 34 again").isEqualTo(new FastOpen.Cookie(new byte[0], false));
    }

    @Test
    void withACookie_theSynCarriesTheCachedMssLess40Bytes_boundedByThePathAndTcpMaxseg() {
        cache.set(remote(), 1000, new FastOpen.Cookie(COOKIE, true), 0);
        assertThat(FastOpenClient.cookieAvailable(cache, remote(), sysctls, socket)).isTrue();
        FastOpenClient.Syn syn = plan(2000);
        assertThat(syn.data).hasSize(960);
        assertThat(syn.option).isEqualTo(new FastOpen.Cookie(COOKIE, true));
        assertThat(details(report)).singleElement().asString()
                .contains("SYN carries 960 of 2000 bytes (cached MSS 1000 less 40 bytes", "cookie FOEXP 0102030405060708");
        assertThat(plan(100).data).as("all of a short write").hasSize(100);
        assertThat(plan(0).synData()).isFalse();

        cache.set(remote(), 1600, null, 0);
        assertThat(plan(2000).data).as("1460 for the path's MTU").hasSize(1420);
        socket.options().userMss = 500;
        assertThat(plan(2000).data).as("TCP_MAXSEG 500").hasSize(460);
    }

    @Test
    void withoutACachedMss_theSynUsesOurAdvertisedOne() {
        cache.set(remote(), 0, new FastOpen.Cookie(COOKIE, false), 0);
        tcb.advMss = 1200;
        assertThat(plan(2000).data).hasSize(1160);
    }

    @Test
    void noCookieRequired_bySysctlOrSocket_sendsDataWithoutAnOption() {
        sysctls.set(Sysctls.TCP_FASTOPEN, FastOpen.CLIENT_ENABLE | FastOpen.CLIENT_NO_COOKIE);
        assertThat(FastOpenClient.cookieAvailable(cache, remote(), sysctls, socket)).isTrue();
        FastOpenClient.Syn syn = plan(2000);
        assertThat(syn.data).hasSize(1420);
        assertThat(syn.fastOpen()).isFalse();
        assertThat(details(report)).singleElement().asString().contains("no cookie (none required)");

        sysctls.set(Sysctls.TCP_FASTOPEN, FastOpen.CLIENT_ENABLE);
        assertThat(FastOpenClient.noCookie(sysctls, socket)).isFalse();
        assertThat(FastOpenClient.noCookie(sysctls, null)).isFalse();
        socket.options().fastOpenNoCookie = true;
        assertThat(FastOpenClient.noCookie(sysctls, socket)).isTrue();
        assertThat(plan(50).option).isNull();
    }

    private static Segment plainSyn(int optionBytes) {
        List<TcpOption> options = new ArrayList<>();
        for (int i = 0; i < optionBytes / 4; i++) {
            options.add(new TcpOption.Unknown(253, new byte[2]));
        }
        return new Segment(LOCAL, REMOTE, TcpFlags.SYN, 1000, 0, 65535, 0, new byte[0], new TcpOptions(options));
    }

    @Test
    void firstSyn_putsTheOptionLast_paddedToFourBytes_whenItFits() {
        Segment plain = plainSyn(20);
        Segment withCookie = FastOpenClient.firstSyn(plain, new FastOpenClient.Syn(new byte[7], new FastOpen.Cookie(COOKIE, false)));
        List<TcpOption> list = withCookie.options().list();
        assertThat(list).hasSize(5 + 3);
        assertThat(list.get(5)).isEqualTo(new TcpOption.Unknown(FastOpen.KIND, COOKIE));
        assertThat(list.subList(6, 8)).containsExactly(new TcpOption.Nop(), new TcpOption.Nop());
        assertThat(withCookie.payload()).hasSize(7);
        assertThat(withCookie.seq()).isEqualTo(1000);
        assertThat(withCookie.flags()).isEqualTo(TcpFlags.SYN);

        Segment exp = FastOpenClient.firstSyn(plain, new FastOpenClient.Syn(new byte[0], new FastOpen.Cookie(new byte[0], true)));
        assertThat(exp.options().list()).hasSize(6).last().isEqualTo(new TcpOption.Unknown(FastOpen.KIND_EXP, new byte[] {(byte) 0xF9, (byte) 0x89}));

        Segment exactly = FastOpenClient.firstSyn(plainSyn(28), new FastOpenClient.Syn(new byte[0], new FastOpen.Cookie(COOKIE, false)));
        assertThat(exactly.options().list()).as("28 + 12 = 40 bytes").hasSize(7 + 3);

        Segment tooBig = plainSyn(32);
        assertThat(FastOpenClient.firstSyn(tooBig, new FastOpenClient.Syn(new byte[0], new FastOpen.Cookie(COOKIE, false))))
                .as("no room and no data: the plain SYN").isSameAs(tooBig);
        Segment dataOnly = FastOpenClient.firstSyn(tooBig, new FastOpenClient.Syn(new byte[5], new FastOpen.Cookie(COOKIE, false)));
        assertThat(dataOnly.options().list()).hasSize(8);
        assertThat(dataOnly.payload()).hasSize(5);
        assertThat(FastOpenClient.firstSyn(plain, new FastOpenClient.Syn(new byte[0], null))).isSameAs(plain);
    }

    private static Segment synAck(int ack, int mss, TcpOption... options) {
        List<TcpOption> list = new ArrayList<>(List.of(new TcpOption.Mss(mss)));
        list.addAll(List.of(options));
        return new Segment(REMOTE, LOCAL, TcpFlags.SYN | TcpFlags.ACK, 5000, ack, 65535, mss, new byte[0], new TcpOptions(list), 0);
    }

    private static byte[] numbered(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    @Test
    void synAck_coveringTheSynData_cachesTheCookieAndMss_andLeavesNothingToResend() {
        FastOpenClient.Syn syn = new FastOpenClient.Syn(numbered(100), new FastOpen.Cookie(COOKIE, false));
        byte[] again = FastOpenClient.synAck(tcb, syn, cache, synAck(1101, 1400, new TcpOption.Unknown(FastOpen.KIND, COOKIE)), report);
        assertThat(again).isEmpty();
        assertThat(tcb.synDataAcked).isTrue();
        assertThat(cache.get(remote()).mss).isEqualTo(1400);
        assertThat(cache.get(remote()).cookie).containsExactly(COOKIE);
        assertThat(details(report)).containsExactly(
                "the SYN-ACK acknowledges the SYN's 100 bytes: Fast Open worked (TCPFastOpenActive, TCPI_OPT_SYN_DATA)",
                "cookie FO 0102030405060708 and MSS 1400 cached for 192.0.2.1");
    }

    @Test
    void synAck_acknowledgingOnlyPartOfTheSynData_returnsTheRestToSendAgain() {
        FastOpenClient.Syn syn = new FastOpenClient.Syn(numbered(100), new FastOpen.Cookie(COOKIE, false));
        assertThat(FastOpenClient.synAck(tcb, syn, cache, synAck(1051, 1400), report)).containsExactly(
                java.util.Arrays.copyOfRange(numbered(100), 50, 100));
        assertThat(tcb.synDataAcked).isFalse();
        assertThat(details(report)).singleElement().asString()
                .isEqualTo("the SYN-ACK acknowledges 50 of the SYN's 100 bytes and carries no cookie: the rest is sent again now (TCPFastOpenActiveFail)");
        assertThat(FastOpenClient.synAck(tcb, syn, cache, synAck(1001, 1400), new PacketReport(null))).hasSize(100);
        assertThat(FastOpenClient.synAck(tcb, syn, cache, synAck(999, 1400), new PacketReport(null))).as("below the SYN").hasSize(100);
        assertThat(cache.get(remote()).cookie).as("the old cookie is kept").isEmpty();
    }

    @Test
    void aCookieRequestLeftUnanswered_makesTheNextOneExperimental_thenStops() {
        FastOpenClient.Syn request = new FastOpenClient.Syn(new byte[0], new FastOpen.Cookie(new byte[0], false));
        FastOpenClient.synAck(tcb, request, cache, synAck(1001, 1400), report);
        assertThat(cache.get(remote()).tryExp).isEqualTo(1);
        assertThat(tcb.synDataAcked).isFalse();
        assertThat(report.steps()).isEmpty();
        FastOpenClient.Syn expRequest = new FastOpenClient.Syn(new byte[0], new FastOpen.Cookie(new byte[0], true));
        FastOpenClient.synAck(tcb, expRequest, cache, synAck(1001, 1400, new TcpOption.Unknown(FastOpen.KIND, new byte[0])), report);
        assertThat(cache.get(remote()).tryExp).as("an empty cookie is none").isEqualTo(2);
        assertThat(cache.get(remote()).cookie).isEmpty();
    }

    @Test
    void anUnsolicitedCookie_isIgnored_andARetransmittedSynsAnswerTeachesNoRetry() {
        FastOpenClient.Syn plain = new FastOpenClient.Syn(new byte[0], null);
        FastOpenClient.synAck(tcb, plain, cache, synAck(1001, 1400, new TcpOption.Unknown(FastOpen.KIND, COOKIE)), report);
        assertThat(cache.get(remote()).cookie).isEmpty();
        assertThat(cache.get(remote()).mss).isEqualTo(1400);

        FastOpenClient.Syn request = new FastOpenClient.Syn(new byte[0], new FastOpen.Cookie(new byte[0], false));
        tcb.synRetries = 1;
        FastOpenClient.synAck(tcb, request, cache, synAck(1001, 1300), report);
        assertThat(cache.get(remote()).tryExp).isZero();
        tcb.synRetries = 0;
        tcb.totalRetransmits = 1;
        FastOpenClient.synAck(tcb, request, cache, synAck(1001, 1300), report);
        assertThat(cache.get(remote()).tryExp).isZero();
        tcb.totalRetransmits = 0;
        FastOpenClient.synAck(tcb, new FastOpenClient.Syn(new byte[10], new FastOpen.Cookie(COOKIE, false)), cache,
                synAck(1011, 1300), new PacketReport(null));
        assertThat(cache.get(remote()).tryExp).as("a SYN with data is no plain request").isZero();

        FastOpenClient.synAck(tcb, request, cache, synAck(1001, 1300, new TcpOption.Unknown(FastOpen.KIND, COOKIE)), report);
        assertThat(cache.get(remote()).cookie).containsExactly(COOKIE);
        assertThat(cache.get(remote()).tryExp).isZero();
    }
}
