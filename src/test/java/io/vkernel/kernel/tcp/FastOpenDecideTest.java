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

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server's Fast Open decision for one SYN (Linux 6.18 tcp_try_fastopen(), tcp_fastopen_queue_check(),
 * tcp_fastopen_cookie_gen_check()) in every outcome, the option each answer carries in the client's kind, the
 * TCP_FASTOPEN_KEY bytes both ways (primary and backup key), inet_listen()'s automatic Fast Open queue, and the SYN's
 * data queued into a child (tcp_fastopen_add_skb()).
 */
class FastOpenDecideTest {

    private static final Endpoint LOCAL = Endpoint.parse("192.168.0.1:8080");
    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:40000");

    private final Sysctls sysctls = new Sysctls();
    private final Socket listener = new Socket(1);
    private final Tcb request = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.SYN_RECV, 0);

    private static Segment syn(int dataBytes, TcpOption... options) {
        return new Segment(REMOTE, LOCAL, TcpFlags.SYN, 7, 0, 1000, 1460, new byte[dataBytes], TcpOptions.of(options), 0);
    }

    private static TcpOption fo(byte... cookie) {
        return new TcpOption.Unknown(FastOpen.KIND, cookie);
    }

    private byte[] valid() {
        return FastOpen.cookie(FastOpen.key(sysctls), request.tuple());
    }

    private FastOpen.Verdict decide(Segment syn, int pending, PacketReport report) {
        return FastOpen.decide(listener, request, syn, sysctls, () -> pending, report);
    }

    private static List<String> details(PacketReport report) {
        return report.steps().stream().map(Step::detail).toList();
    }

    @Test
    void withoutTheServerBit_orAFastOpenQueue_theSynGetsAnOrdinaryHandshake() {
        listener.options().fastOpenQueue = 16;
        PacketReport report = new PacketReport(syn(0));
        assertThat(decide(syn(5, fo()), 0, report)).isEqualTo(FastOpen.Verdict.NONE);
        assertThat(details(report)).singleElement().asString().contains("no server bit", "data is not acknowledged");
        report = new PacketReport(syn(0));
        assertThat(decide(syn(0, fo()), 0, report)).isEqualTo(FastOpen.Verdict.NONE);
        assertThat(details(report)).singleElement().asString().contains("option is ignored");

        sysctls.set(Sysctls.TCP_FASTOPEN, FastOpen.SERVER_ENABLE);
        listener.options().fastOpenQueue = 0;
        report = new PacketReport(syn(0));
        assertThat(decide(syn(5, fo(valid())), 0, report)).isEqualTo(FastOpen.Verdict.NONE);
        assertThat(details(report)).singleElement().asString().contains("not a Fast Open one");

        listener.options().fastOpenQueue = 16;
        report = new PacketReport(syn(0));
        assertThat(decide(syn(0), 0, report)).as("a plain SYN").isEqualTo(FastOpen.Verdict.NONE);
        assertThat(report.steps()).isEmpty();
        assertThat(request.synAckFastOpen).isNull();
    }

    @Test
    void aFullQueueOfPendingChildren_turnsAValidCookieIntoAnOrdinaryHandshake() {
        sysctls.set(Sysctls.TCP_FASTOPEN, FastOpen.SERVER_ENABLE);
        listener.options().fastOpenQueue = 2;
        PacketReport report = new PacketReport(syn(0));
        assertThat(decide(syn(5, fo(valid())), 2, report)).isEqualTo(FastOpen.Verdict.NONE);
        assertThat(details(report)).singleElement().asString().contains("2 Fast Open children already pending", "queue 2");
        assertThat(decide(syn(5, fo(valid())), 1, new PacketReport(syn(0)))).isEqualTo(FastOpen.Verdict.CHILD);
    }

    @Test
    void noCookieRequired_bySysctlOrSocketOption_makesAChildOfAnySynWithData() {
        sysctls.set(Sysctls.TCP_FASTOPEN, FastOpen.SERVER_ENABLE | FastOpen.SERVER_COOKIE_NOT_REQD);
        listener.options().fastOpenQueue = 4;
        PacketReport report = new PacketReport(syn(0));
        assertThat(decide(syn(5), 0, report)).isEqualTo(FastOpen.Verdict.CHILD);
        assertThat(details(report)).singleElement().asString().contains("no cookie required", "5 bytes queued");

        sysctls.set(Sysctls.TCP_FASTOPEN, FastOpen.SERVER_ENABLE);
        listener.options().fastOpenNoCookie = true;
        assertThat(decide(syn(3), 0, new PacketReport(syn(0)))).isEqualTo(FastOpen.Verdict.CHILD);
        listener.options().fastOpenNoCookie = false;
        report = new PacketReport(syn(0));
        assertThat(decide(syn(3), 0, report)).as("data without a cookie").isEqualTo(FastOpen.Verdict.NONE);
        assertThat(details(report)).singleElement().asString().contains("without a cookie");
    }

    @Test
    void aCookieRequest_isAnsweredWithTheValidCookie_inTheKindItCameIn() {
        sysctls.set(Sysctls.TCP_FASTOPEN, FastOpen.SERVER_ENABLE);
        listener.options().fastOpenQueue = 4;
        PacketReport report = new PacketReport(syn(0));
        assertThat(decide(syn(0, fo()), 0, report)).isEqualTo(FastOpen.Verdict.COOKIE);
        assertThat(request.synAckFastOpen).isEqualTo(new TcpOption.Unknown(FastOpen.KIND, valid()));
        assertThat(details(report)).singleElement().asString().contains("asks for a cookie", new FastOpen.Cookie(valid(), false).toString());

        TcpOption expRequest = new TcpOption.Unknown(FastOpen.KIND_EXP, new byte[] {(byte) 0xF9, (byte) 0x89});
        assertThat(decide(syn(0, expRequest), 0, new PacketReport(syn(0)))).isEqualTo(FastOpen.Verdict.COOKIE);
        byte[] body = new byte[2 + 8];
        body[0] = (byte) 0xF9;
        body[1] = (byte) 0x89;
        System.arraycopy(valid(), 0, body, 2, 8);
        assertThat(request.synAckFastOpen).isEqualTo(new TcpOption.Unknown(FastOpen.KIND_EXP, body));
    }

    @Test
    void aWrongCookie_getsTheValidOneBack_aValidOneMakesAChild() {
        sysctls.set(Sysctls.TCP_FASTOPEN, FastOpen.SERVER_ENABLE);
        listener.options().fastOpenQueue = 4;
        PacketReport report = new PacketReport(syn(0));
        assertThat(decide(syn(5, fo(bytes(1, 2, 3, 4, 5, 6, 7, 8))), 0, report)).isEqualTo(FastOpen.Verdict.COOKIE);
        assertThat(request.synAckFastOpen).isEqualTo(new TcpOption.Unknown(FastOpen.KIND, valid()));
        assertThat(details(report)).singleElement().asString().contains("is not this server's");

        Tcb other = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.SYN_RECV, 0);
        report = new PacketReport(syn(0));
        assertThat(FastOpen.decide(listener, other, syn(5, fo(valid())), sysctls, () -> 0, report)).isEqualTo(FastOpen.Verdict.CHILD);
        assertThat(other.synAckFastOpen).as("the child's SYN-ACK carries no cookie").isNull();
        assertThat(details(report)).singleElement().asString().contains("valid cookie", "5 bytes queued");
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    @Test
    void aCookieMadeWithTheBackupKey_isStillValid_butRequestsGetThePrimarysCookie() {
        sysctls.set(Sysctls.TCP_FASTOPEN, FastOpen.SERVER_ENABLE);
        listener.options().fastOpenQueue = 4;
        byte[] keys = new byte[32];
        for (int i = 0; i < 32; i++) {
            keys[i] = (byte) (i + 1);
        }
        assertThat(FastOpen.setKey(listener, keys)).isTrue();
        List<long[]> both = FastOpen.keys(listener, sysctls);
        assertThat(both).hasSize(2);
        assertThat(both.get(0)).containsExactly(0x04030201L, 0x08070605L, 0x0C0B0A09L, 0x100F0E0DL);
        assertThat(both.get(1)).containsExactly(0x14131211L, 0x18171615L, 0x1C1B1A19L, 0x201F1E1DL);
        byte[] backupCookie = FastOpen.cookie(both.get(1), request.tuple());
        assertThat(decide(syn(5, fo(backupCookie)), 0, new PacketReport(syn(0)))).isEqualTo(FastOpen.Verdict.CHILD);
        assertThat(decide(syn(0, fo()), 0, new PacketReport(syn(0)))).isEqualTo(FastOpen.Verdict.COOKIE);
        assertThat(request.synAckFastOpen).isEqualTo(new TcpOption.Unknown(FastOpen.KIND, FastOpen.cookie(both.get(0), request.tuple())));
        assertThat(FastOpen.keyBytes(listener, sysctls)).as("read back as set").containsExactly(keys);
    }

    @Test
    void tcpFastopenKey_takes16Or32Bytes_asLittleEndianWords_elseTheSysctlKeyStays() {
        assertThat(FastOpen.keys(listener, sysctls)).singleElement()
                .isEqualTo(new long[] {0x5EED_0000L, 0x5EED_0001L, 0x5EED_0002L, 0x5EED_0003L});
        assertThat(FastOpen.keyBytes(listener, sysctls)).hasSize(16).startsWith((byte) 0x00, (byte) 0x00, (byte) 0xED, (byte) 0x5E,
                (byte) 0x01, (byte) 0x00, (byte) 0xED, (byte) 0x5E);
        assertThat(FastOpen.setKey(listener, new byte[15])).isFalse();
        assertThat(FastOpen.setKey(listener, new byte[17])).isFalse();
        assertThat(listener.options().fastOpenKey).isNull();
        byte[] key = {(byte) 0xF7, 0x63, (byte) 0xBF, (byte) 0xA0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, (byte) 0x80};
        assertThat(FastOpen.setKey(listener, key)).isTrue();
        assertThat(FastOpen.keys(listener, sysctls)).singleElement().isEqualTo(new long[] {0xA0BF63F7L, 1, 2, 0x80000003L});
        assertThat(FastOpen.keyBytes(listener, sysctls)).containsExactly(key);
    }

    @Test
    void cookieOption_printsAndComparesByKindAndBytes() {
        FastOpen.Cookie plain = new FastOpen.Cookie(new byte[] {1, (byte) 0xAB}, false);
        FastOpen.Cookie exp = new FastOpen.Cookie(new byte[] {1, (byte) 0xAB}, true);
        assertThat(plain).hasToString("FO 01ab");
        assertThat(exp).hasToString("FOEXP 01ab");
        assertThat(new FastOpen.Cookie(null, true)).hasToString("FOEXP");
        assertThat(new FastOpen.Cookie(null, true).request()).isTrue();
        assertThat(plain.request()).isFalse();
        assertThat(plain).isEqualTo(new FastOpen.Cookie(new byte[] {1, (byte) 0xAB}, false)).isNotEqualTo(exp)
                .isNotEqualTo(new FastOpen.Cookie(new byte[] {1, (byte) 0xAC}, false));
        assertThat(plain.hashCode()).isEqualTo(new FastOpen.Cookie(new byte[] {1, (byte) 0xAB}, false).hashCode())
                .isNotEqualTo(exp.hashCode());
        assertThat(exp.option()).isEqualTo(new TcpOption.Unknown(FastOpen.KIND_EXP, new byte[] {(byte) 0xF9, (byte) 0x89, 1, (byte) 0xAB}));
    }

    @Test
    void listen_withBits0x402_givesEveryListenerAQueueOfItsBacklogUpToSomaxconn() {
        FastOpen.listen(listener, sysctls, 100);
        assertThat(listener.options().fastOpenQueue).as("tcp_fastopen 1").isZero();
        sysctls.set(Sysctls.TCP_FASTOPEN, FastOpen.SERVER_WO_SOCKOPT1);
        FastOpen.listen(listener, sysctls, 100);
        assertThat(listener.options().fastOpenQueue).as("0x400 without 0x2").isZero();
        sysctls.set(Sysctls.TCP_FASTOPEN, FastOpen.SERVER_WO_SOCKOPT1 | FastOpen.SERVER_ENABLE);
        FastOpen.listen(listener, sysctls, 100_000);
        assertThat(listener.options().fastOpenQueue).isEqualTo(4096);
        FastOpen.listen(listener, sysctls, 100);
        assertThat(listener.options().fastOpenQueue).as("already set").isEqualTo(4096);
        assertThat(FastOpen.queueLength(sysctls, 100)).isEqualTo(100);
    }

    @Test
    void synData_isQueuedIntoTheChild_upToItsBuffer() {
        Tcb child = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.SYN_RECV, 0);
        child.rcvBufLimit = 100;
        child.rcvNxt = 8;
        FastOpen.queueSynData(child, syn(0));
        assertThat(child.synDataAcked).isFalse();
        assertThat(child.rcvNxt).isEqualTo(8);

        Segment withData = syn(150);
        FastOpen.queueSynData(child, withData);
        assertThat(child.receiveQueue.size()).isEqualTo(100);
        assertThat(child.rcvNxt).isEqualTo(108);
        assertThat(child.synDataAcked).isTrue();
        assertThat(RcvSpace.rmemAlloc(child)).isEqualTo(RcvSpace.truesize(withData));
    }
}
