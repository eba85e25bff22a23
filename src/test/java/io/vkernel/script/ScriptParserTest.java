package io.vkernel.script;

import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The grammar a script may use, and the line and reason given for what it may not. */
class ScriptParserTest {

    private static final String PREAMBLE = """
            0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0   bind(3, ..., ...) = 0
            +0   listen(3, 1) = 0
            """;

    static Script parse(String text) {
        return ScriptParser.parse(text, ScriptLimits.defaults());
    }

    static void refused(String text, int line, String reason) {
        assertThatThrownBy(() -> parse(text)).isInstanceOf(ScriptException.class)
                .satisfies(e -> assertThat(((ScriptException) e).line()).isEqualTo(line))
                .hasMessageContaining(reason);
    }

    @Test
    void anIcmpLineOfThe2013Suite_quotesItsSegmentBeforeTheWordIcmp() {
        Script script = parse(PREAMBLE + "+0 < [1:1461(1460)] icmp unreachable frag_needed mtu 1200\n");
        IcmpLine icmp = (IcmpLine) script.events().get(script.events().size() - 1).action();
        assertThat(icmp.mtu()).isEqualTo(1200);
        assertThat(icmp.seq()).isEqualTo(1);
        assertThat(icmp.length()).isEqualTo(1460);
        assertThat(icmp.text()).isEqualTo("icmp unreachable frag_needed mtu 1200 [1:1461(1460)]");
        refused(PREAMBLE + "+0 < [1:1461(1460)] icmp unreachable frag_needed mtu 1200 [1:1461(1460)]\n", 4,
                "the quoted segment is given once");
    }

    @Test
    void times_absoluteRelativeRangesAnyAndBlockingEnd() {
        Script script = parse("""
                0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +.1 bind(3, ..., ...) = 0
                +0.2~+0.3 listen(3, 1) = 0
                1.5~2 accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)
                * close(3) = 0
                2.000...2.100 close(3) = -1 EBADF
                """);
        List<EventTime> times = script.events().stream().map(ScriptEvent::time).toList();
        assertThat(times).containsExactly(
                new EventTime(EventTime.Type.ABSOLUTE, 0, 0),
                new EventTime(EventTime.Type.RELATIVE, 100_000, 100_000),
                new EventTime(EventTime.Type.RELATIVE_RANGE, 200_000, 300_000),
                new EventTime(EventTime.Type.ABSOLUTE_RANGE, 1_500_000, 2_000_000),
                new EventTime(EventTime.Type.ANY, 0, 0),
                new EventTime(EventTime.Type.ABSOLUTE, 2_000_000, 2_000_000));
        SyscallLine blocking = (SyscallLine) script.events().get(5).action();
        assertThat(blocking.endUs()).isEqualTo(2_100_000);
        assertThat(blocking.expectedErrno()).isEqualTo("EBADF");
        assertThat(((SyscallLine) script.events().get(3).action()).expected()).isEqualTo("= -1 EAGAIN");
    }

    @Test
    void packets_flagsSequenceAckWindowAndOptions() {
        Script script = parse(PREAMBLE + """
                +0 < S 0:0(0) win 32792 <mss 1000,sackOK,TS val 100 ecr 0,nop,wscale 7>
                +0 > S. 0:0(0) ack 1 <...>
                +0 < P. 1:1001(1000) ack 1 win 257
                +0 > . 1:1(0) ack 1001
                +0 < 40001>8080 R. 1001:1001(0) ack 1 win 0
                +0 > F. 1:1(0) ack 1001 win 509 <nop,nop,sack 1:2>
                """);
        PacketLine syn = (PacketLine) script.events().get(3).action();
        assertThat(syn.inbound()).isTrue();
        assertThat(syn.flags()).isEqualTo(TcpFlags.SYN);
        assertThat(syn.window()).isEqualTo(32792);
        assertThat(syn.options()).containsExactly(new TcpOption.Mss(1000), new TcpOption.SackPermitted(),
                new TcpOption.Timestamps(100, 0), new TcpOption.Nop(), new TcpOption.WindowScale(7));
        PacketLine synAck = (PacketLine) script.events().get(4).action();
        assertThat(synAck.options()).as("<...>: any options").isNull();
        assertThat(synAck.window()).as("not given: not checked").isNull();
        PacketLine data = (PacketLine) script.events().get(5).action();
        assertThat(data.describe()).isEqualTo("P. 1:1001(1000) ack 1 win 257");
        PacketLine ack = (PacketLine) script.events().get(6).action();
        assertThat(ack.options()).as("no options written: none expected").isEmpty();
        PacketLine rst = (PacketLine) script.events().get(7).action();
        assertThat(rst.ports()).isEqualTo(new PacketLine.Ports(40001, 8080));
        assertThat(((PacketLine) script.events().get(8).action()).describe()).isEqualTo("F. 1:1(0) ack 1001 win 509 <nop,nop,sack 1:2>");
    }

    @Test
    void comments_directivesAndOptions_areReadAndLineNumbersKept() {
        Script script = parse("""
                --tolerance_usecs=10000
                // vkernel-sysctl net.ipv4.tcp_abort_on_overflow=1
                /* a comment
                   over two lines */ 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3   // trailing
                +0 bind(3, ..., ...) = 0
                """);
        assertThat(script.toleranceUs()).isEqualTo(10_000);
        assertThat(script.sysctls()).containsEntry("net.ipv4.tcp_abort_on_overflow", 1L);
        assertThat(script.events()).extracting(ScriptEvent::line).containsExactly(4, 5);
        assertThat(script.events().get(0).text()).isEqualTo("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3");
    }

    @Test
    void backquotedShellCommand_notASetupIdiom_isRefusedWithItsLine() {
        refused("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `rm -rf /` \n", 2, "'rm -rf /' is not understood");
        refused("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `sysctl -q net.ipv4.tcp_rmem=1 $(id)` \n", 2,
                "command substitutions");
        refused("`sysctl -q net.ipv4.no_such_thing=1`\n" + PREAMBLE, 1, "sysctl net.ipv4.no_such_thing is not known to vkernel");
        refused("`sysctl -q net.ipv4.tcp_rmem=\"4096 87380\"`\n" + PREAMBLE, 1, "takes three values");
        refused("`ethtool -K tun0 lro off`\n" + PREAMBLE, 1, "the features understood are gso, tso and gro");
        refused("`tc qdisc replace dev tun0 root cake`\n" + PREAMBLE, 1, "ethtool -K <dev> gso|tso|gro on|off");
    }

    @Test
    void codeBlock_outsideTheAssertionGrammar_isRefusedWithItsLine() {
        refused(PREAMBLE + "+0 %{\nimport os\nos.system('id')\n}%\n", 5, "it never runs Python");
        refused(PREAMBLE + "+0 %{ assert open('x') }%\n", 4, "function calls");
        refused(PREAMBLE + "+0 %{ assert tcpi_no_such_field == 1 }%\n", 4, "'tcpi_no_such_field' is not known");
        refused(PREAMBLE + "+0 %{ assert tcpi_state == 1 $ 2 }%\n", 4, "'$' is not understood");
        refused(PREAMBLE + "%{ assert tcpi_state == 1 }%\n", 4, "needs its time");
    }

    @Test
    void backquotesInsideComments_areOnlyComments() {
        assertThat(parse("// `../common/defaults.sh`\n/* `x` %{ y }% */\n" + PREAMBLE).events()).hasSize(3);
    }

    @Test
    void aCallSpanningLines_isOneEvent_atItsFirstLine() {
        Script script = parse(PREAMBLE + "+0 poll([{fd=3,\n      events=POLLIN,\n      revents=0}], 1, 0) = 0\n+0 close(3) = 0\n");
        assertThat(script.events()).hasSize(5);
        assertThat(script.events().get(3).line()).isEqualTo(4);
        assertThat(script.events().get(4).line()).isEqualTo(7);
        refused(PREAMBLE + "+0 poll([{fd=3,\n events=POLLIN}], 1, 0\n", 4, "");
    }

    @Test
    void fastOpenOptions_kind34AndExperimental254_withHexCookiesRequestsAndTheTfoCookieDefine() {
        Script script = parse(PREAMBLE + """
                +0 < S 0:10(10) win 100 <mss 1460,FO 00abaaabe8e954c2,nop,nop>
                +0 < S 0:0(0) win 100 <mss 1460,FOEXP>
                +0 < S 0:0(0) win 100 <FOEXP TFO_COOKIE>
                """);
        java.util.HexFormat hex = java.util.HexFormat.of();
        assertThat(((PacketLine) script.events().get(3).action()).options()).containsExactly(new TcpOption.Mss(1460),
                new TcpOption.Unknown(34, hex.parseHex("00abaaabe8e954c2")), new TcpOption.Nop(), new TcpOption.Nop());
        assertThat(((PacketLine) script.events().get(4).action()).options()).endsWith(new TcpOption.Unknown(254, hex.parseHex("f989")));
        // run_all.py's -D TFO_COOKIE for 192.0.2.1 -> 192.168.0.1 under defaults.sh's key
        assertThat(((PacketLine) script.events().get(5).action()).options())
                .containsExactly(new TcpOption.Unknown(254, hex.parseHex("f9893021b9d889017eeb")));
    }

    @Test
    void icmpCodeDefine_isRunAllPysHostUnreachable_onlyForUnreachable() {
        // run_all.py's -D CODE=host_unreachable for IPv4: the Fast Open server's icmp-* scripts write it
        Script script = parse(PREAMBLE + "+0 < icmp unreachable CODE [0:10(10)]\n");
        IcmpLine icmp = (IcmpLine) script.events().get(3).action();
        assertThat(icmp.type()).isEqualTo(3);
        assertThat(icmp.code()).isEqualTo(1);
        assertThat(icmp.text()).isEqualTo("icmp unreachable host_unreachable [0:10(10)]");
        refused(PREAMBLE + "+0 < icmp time_exceeded CODE\n", 4, "unknown ICMP code 'CODE' for time_exceeded");
    }

    @Test
    void malformedLines_areRefusedWithTheLineAndWhatIsWrong() {
        refused(PREAMBLE + "+0 < S 0:0(0) <mss 1000>\n", 4, "an inbound packet needs its window");
        refused(PREAMBLE + "+0 < S 0:10(0) win 100\n", 4, "inconsistent sequence numbers and payload length");
        refused(PREAMBLE + "+0 < SX 0:0(0) win 100\n", 4, "'X' is not a TCP flag");
        refused(PREAMBLE + "+0 < [ect2] S 0:0(0) win 100\n", 4, "the IP ECN annotation is [noecn], [ect0], [ect1], [ect01] or [ce]");
        refused(PREAMBLE + "+0 < [ect01] S 0:0(0) win 100\n", 4, "[ect01] only matches outbound packets");
        refused(PREAMBLE + "+0 < (tos 0x2) S 0:0(0) win 100\n", 4, "(tos 0x..) are not supported");
        refused(PREAMBLE + "+0 < S 0:0(0) win 100 <mss 1000,wscale 7>\n", 4, "not a multiple of 4");
        refused(PREAMBLE + "+0 < S 0:0(0) win 100 <FO abc,nop>\n", 4, "an even number of hex digits");
        refused(PREAMBLE + "+0 < S 0:0(0) win 100 <md5 abcd>\n", 4, "an md5 option is 32 hex digits (the 16-byte digest)");
        refused(PREAMBLE + "+0 < S 0:0(0) win 100 <...>\n", 4, "only makes sense for outbound");
        refused(PREAMBLE + "+0 < S 0:0(0) win 70000\n", 4, "between 0 and 65535");
        refused(PREAMBLE + "+0 poll(3, 1, 0) = 0\n", 4, "poll takes a list of pollfds");
        refused(PREAMBLE + "+0 poll([{fd=3, events=POLLIN}], 2, 0) = 0\n", 4, "nfds is 2 but the list holds 1");
        refused(PREAMBLE + "+0 poll([{fd=3, events=POLLFOO}], 1, 0) = 0\n", 4, "poll events may be 0 or POLLERR");
        refused(PREAMBLE + "+0 send(4, ..., 10, MSG_OOB) = 10\n", 4, "send flags may be 0 or MSG_DONTWAIT|MSG_EOR|MSG_FASTOPEN|MSG_MORE|MSG_NOSIGNAL|MSG_ZEROCOPY");
        refused(PREAMBLE + "+0 sendfile(4, 5, ..., 10) = 10\n", 4, "sendfile's offset is [N] or NULL");
        refused(PREAMBLE + "+0 splice(4, [0], 6, NULL, 10, 0) = 10\n", 4, "splice's offsets must be NULL");
        refused(PREAMBLE + "+0 open(\"/tmp/f\", O_FOO) = 5\n", 4, "open's flags are a number or O_APPEND|O_CREAT");
        refused(PREAMBLE + "+0 mmap(0, 4096) = 0\n", 4, "system call 'mmap' is not supported");
        refused(PREAMBLE + "+0 epoll_ctl(5, EPOLL_CTL_FOO, 4, {events=EPOLLIN, fd=4}) = 0\n", 4, "EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL");
        refused(PREAMBLE + "+0 epoll_wait(5, {events=EPOLLFOO, fd=4}, 1, 0) = 1\n", 4, "epoll events may be 0 or EPOLLIN");
        refused(PREAMBLE + "+0 epoll_wait(5, {events=EPOLLIN, 4}, 1, 0) = 1\n", 4, "an epoll_event is {events=EPOLLIN|..., fd=N}");
        refused(PREAMBLE + "+0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN, flags=1}) = 0\n", 4, "got 'flags'");
        refused(PREAMBLE + "+0 recvmsg(4, {msg_iov(1)=[{...,0}], msg_control=[{cmsg_level=SOL_IP, cmsg_type=IP_RECVERR, "
                + "cmsg_data={ee_bogus=1}}]}, MSG_ERRQUEUE) = 0\n", 4, "struct sock_extended_err has ee_errno");
        refused(PREAMBLE + "+0 setsockopt(3, SOL_IP, IP_TTL, [1], 4) = 0\n", 4, "'IP_TTL' at level SOL_IP is not modelled");
        refused(PREAMBLE + "+0 setsockopt(3, SOL_TCP, TCP_REPAIR, [1], 4) = 0\n", 4, "'TCP_REPAIR' at level SOL_TCP is not modelled");
        refused(PREAMBLE + "+0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 4\n", 4, "the type must be SOCK_STREAM");
        refused(PREAMBLE + "< S 0:0(0) win 100\n", 4, "each event starts with its time");
        refused(PREAMBLE + "+0 read(4, ..., 10) = \n", 4, "expected an argument");
        refused(PREAMBLE + "+0.1~0.2 read(4, ..., 10) = 10\n", 4, "a relative range is written +0.1~+0.2");
    }

    @Test
    void timeline_mustStartAtZero_notGoBackward_andStayWithinTheVirtualLimit() {
        refused("1.0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", 1, "the first event must be at time 0");
        refused("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n0.5 close(3) = 0\n0.2 close(3) = -1 EBADF\n", 3, "time goes backward");
        refused("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+90000 close(3) = 0\n", 2, "beyond the limit of 86400 s");
    }

    @Test
    void optionsAndDirectives_thatCannotBeHonoured_areRefused() {
        refused("--local_ip=::1\n" + PREAMBLE, 1, "--local_ip takes an IPv4 address");
        refused("--ip_version=ipv6\n" + PREAMBLE, 1, "option --ip_version=ipv6 is not supported");
        refused(PREAMBLE + "--tolerance_usecs=1\n", 4, "options (--name=value) must come before the first event");
        refused("// vkernel-sysctl net.ipv4.no_such=1\n" + PREAMBLE, 1, "is not known to vkernel");
        refused("// vkernel-sysctl net.core.somaxconn=-5\n" + PREAMBLE, 1, "must be between");
        refused(PREAMBLE + "// vkernel-sysctl net.core.somaxconn=5\n", 4, "must come before the first event");
        refused("// vkernel-shell ls\n" + PREAMBLE, 1, "unknown directive");
    }

    @Test
    void oversizedScripts_areRefusedAsTooLarge() {
        ScriptLimits small = new ScriptLimits(100, 3, 60);
        assertThatThrownBy(() -> ScriptParser.parse("// " + "x".repeat(200), small))
                .isInstanceOf(ScriptTooLargeException.class).hasMessageContaining("at most 100 are accepted");
        assertThatThrownBy(() -> ScriptParser.parse("\n\n\n\n", small))
                .isInstanceOf(ScriptTooLargeException.class).hasMessageContaining("the script has 4 lines; at most 3");
    }

    @Test
    void emptyScript_isRefused() {
        refused("// only a comment\n", 1, "the script has no events");
    }
}
