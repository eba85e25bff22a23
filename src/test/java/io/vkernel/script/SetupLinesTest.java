package io.vkernel.script;

import io.vkernel.kernel.Sysctls;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The public suites' setup lines are understood, never run: sysctl and /proc/sys writes become kernel settings,
 * the suites' defaults scripts their known values, ethtool offloads vkernel.gso; %{ }% assertions are evaluated
 * over TCP_INFO of the socket under test.
 */
class SetupLinesTest {

    private static final String LISTEN = """
            0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0   bind(3, ..., ...) = 0
            +0   listen(3, 1) = 0
            """;

    private static Script parse(String text) {
        return ScriptParser.parse(text, ScriptLimits.defaults());
    }

    @Test
    void sysctlLines_severalPerLine_semicolons_quotes_slashes_andContinuations_becomeSettings() {
        Script script = parse("""
                `sysctl -q net.ipv4.tcp_sack=0 net/ipv4/tcp_timestamps=0; sysctl -q -w net.ipv4.tcp_rmem="4096 10000 2097152"
                 sysctl -e -q \\
                   net.core.somaxconn=7 > /dev/null 2>&1
                 echo 1 > /proc/sys/net/ipv4/tcp_abort_on_overflow`
                """ + LISTEN);
        assertThat(script.sysctls()).containsEntry(Sysctls.TCP_SACK, 0L).containsEntry(Sysctls.TCP_TIMESTAMPS, 0L)
                .containsEntry(Sysctls.TCP_RMEM_MIN, 4096L).containsEntry(Sysctls.TCP_RMEM_DEFAULT, 10000L)
                .containsEntry(Sysctls.TCP_RMEM_MAX, 2097152L).containsEntry(Sysctls.SOMAXCONN, 7L)
                .containsEntry(Sysctls.TCP_ABORT_ON_OVERFLOW, 1L);
    }

    @Test
    void defaultsScripts_setTheValuesTheirFilesSet_andNoteWhatIsNotModelled() {
        Script google = parse("`../../common/defaults.sh`\n" + LISTEN);
        assertThat(google.sysctls()).containsEntry(Sysctls.TCP_RMEM_DEFAULT, 540000L).containsEntry(Sysctls.TCP_RMEM_MAX, 15728640L)
                .containsEntry(Sysctls.TCP_WMEM_DEFAULT, 262144L).containsEntry(Sysctls.TCP_SYN_RETRIES, 5L)
                .containsEntry(Sysctls.TCP_CONGESTION_CONTROL, 1L).containsEntry(Sysctls.TCP_SYNCOOKIES, 1L);
        assertThat(google.notes()).anyMatch(n -> n.contains("net.ipv4.tcp_frto=2 accepted; vkernel does not model"))
                .anyMatch(n -> n.contains("sets a pfifo qdisc on tun0"));
        assertThat(google.sysctls()).containsEntry(Sysctls.VKERNEL_QDISC, 0L).containsEntry(Sysctls.VKERNEL_QDISC_LIMIT, 500L);
        assertThat(google.sysctls()).containsEntry(Sysctls.TCP_FASTOPEN, 0x70403L)
                .containsEntry(Sysctls.TCP_FASTOPEN_KEY + ".0", 0xa1a1a1a1L).containsEntry(Sysctls.TCP_FASTOPEN_KEY + ".3", 0xd4d4d4d4L);
        assertThat(parse("`sysctl -q net.ipv4.tcp_adv_win_scale=2`\n" + LISTEN).notes())
                .containsExactly("line 1: net.ipv4.tcp_adv_win_scale=2 accepted; vkernel does not model what it tunes");
        Script selftests = parse("`./defaults.sh`\n" + LISTEN);
        assertThat(selftests.sysctls()).containsEntry(Sysctls.TCP_FASTOPEN, 3L);
        assertThat(selftests.notes()).noneMatch(n -> n.contains("tcp_ecn_option"));
    }

    @Test
    void fastOpenKey_isReadAsLinuxPrintsIt_fourHexWords_andAnythingElseIsRefusedWithTheForm() {
        Script script = parse("`sysctl -q net.ipv4.tcp_fastopen_key=00000001-89abcdef-0-ffffffff,11111111-22222222-33333333-44444444`\n"
                + LISTEN);
        assertThat(script.sysctls()).containsEntry(Sysctls.TCP_FASTOPEN_KEY + ".0", 1L)
                .containsEntry(Sysctls.TCP_FASTOPEN_KEY + ".1", 0x89abcdefL).containsEntry(Sysctls.TCP_FASTOPEN_KEY + ".2", 0L)
                .containsEntry(Sysctls.TCP_FASTOPEN_KEY + ".3", 0xffffffffL);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse("`sysctl -q net.ipv4.tcp_fastopen_key=a1a1a1a1-b2b2b2b2`\n" + LISTEN))
                .isInstanceOf(ScriptException.class).hasMessageContaining("four hex words")
                .hasMessageContaining("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4");
    }

    @Test
    void ethtoolOffloads_setVkernelGso_andPacketdrillsTunOffersTsoByDefault() {
        assertThat(parse("`ethtool -K tun0 gso off tso off`\n" + LISTEN).sysctls()).containsEntry(Sysctls.VKERNEL_GSO, 0L);
        assertThat(parse("`ethtool -K tun0 tso on gso on`\n" + LISTEN).sysctls()).containsEntry(Sysctls.VKERNEL_GSO, 1L);
        assertThat(Harness.DEFAULT_SYSCTLS).containsEntry(Sysctls.VKERNEL_GSO, 1L);
    }

    @Test
    void tcQdiscLines_becomeTheDeviceQdiscSettings_andOtherQdiscsAreRefusedWithTheForms() {
        assertThat(parse("`tc qdisc replace dev tun0 root fq`\n" + LISTEN).sysctls())
                .containsEntry(Sysctls.VKERNEL_QDISC, 1L).containsEntry(Sysctls.VKERNEL_QDISC_LIMIT, 10000L);
        // the user-timeout script's line: delete, then a pfifo that holds nothing; the last setting wins
        assertThat(parse("`tc qdisc delete dev tun0 root 2>/dev/null ; tc qdisc add dev tun0 root pfifo limit 0`\n"
                + LISTEN).sysctls()).containsEntry(Sysctls.VKERNEL_QDISC, 0L).containsEntry(Sysctls.VKERNEL_QDISC_LIMIT, 0L);
        assertThat(parse("`tc qdisc del dev tun0 root`\n" + LISTEN).sysctls()).containsEntry(Sysctls.VKERNEL_QDISC_LIMIT, 500L);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse("`tc qdisc replace dev tun0 root netem delay 10ms`\n" + LISTEN))
                .isInstanceOf(ScriptException.class).hasMessageContaining("pfifo [limit N] | fq [limit N]");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse("`tc qdisc replace dev tun0 root fq quantum 3000`\n" + LISTEN))
                .isInstanceOf(ScriptException.class).hasMessageContaining("'limit N'");
    }

    @Test
    void ipRouteChange_setsTheRoutesMetrics_replacingTheRouteWhole_andRefusesWhatItDoesNotKnow() {
        Script script = parse("`ip route change 192.0.2.1 via 192.168.0.2 dev tun0 advmss 600 mtu lock 640 initcwnd 11`\n" + LISTEN);
        assertThat(script.sysctls()).containsEntry(Sysctls.ROUTE_ADVMSS, 600L).containsEntry(Sysctls.ROUTE_MTU, 640L)
                .containsEntry(Sysctls.ROUTE_MTU_LOCK, 1L).containsEntry(Sysctls.ROUTE_INITCWND, 11L);
        // a metric the line leaves out goes back to none, as iproute2 replaces the route
        assertThat(parse("`ip route replace 192.0.2.1 dev tun0 mtu 1400`\n" + LISTEN).sysctls())
                .containsEntry(Sysctls.ROUTE_ADVMSS, 0L).containsEntry(Sysctls.ROUTE_MTU, 1400L)
                .containsEntry(Sysctls.ROUTE_MTU_LOCK, 0L).containsEntry(Sysctls.ROUTE_INITCWND, 0L);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse("`ip route change 192.0.2.1 dev tun0 rtt 10`\n" + LISTEN))
                .isInstanceOf(ScriptException.class).hasMessageContaining("via, dev, advmss, mtu [lock] and initcwnd");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse("`ip route change 192.0.2.1 mtu 40`\n" + LISTEN))
                .isInstanceOf(ScriptException.class).hasMessageContaining("vkernel.route.mtu must be between 68 and 65535");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse("`ip route del 192.0.2.1`\n" + LISTEN))
                .isInstanceOf(ScriptException.class).hasMessageContaining("ip route change|replace|add DST");
    }

    @Test
    void packetdrillsMssOption_isTheGsoSizeOfInjectedPackets_andMtuProbingIsModelled() {
        Script script = parse("--mss=1000\n`sysctl -q net.ipv4.tcp_mtu_probing=2 net.ipv4.tcp_base_mss=512`\n" + LISTEN);
        assertThat(script.sysctls()).containsEntry(Sysctls.RX_GSO_SIZE, 1000L).containsEntry(Sysctls.TCP_MTU_PROBING, 2L)
                .containsEntry(Sysctls.TCP_BASE_MSS, 512L);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse("--mss=70000\n" + LISTEN))
                .isInstanceOf(ScriptException.class).hasMessageContaining("--mss");
    }

    @Test
    void directivesAndRequestParameters_takeTheThreeValueForm() {
        Script script = ScriptParser.parse("// vkernel-sysctl net.ipv4.tcp_wmem=4096 16384 65536\n" + LISTEN,
                ScriptLimits.defaults(), List.of("net.ipv4.tcp_rmem=4096 87380 3145728", "net.ipv4.tcp_congestion_control=reno"));
        assertThat(script.sysctls()).containsEntry(Sysctls.TCP_RMEM_DEFAULT, 87380L).containsEntry(Sysctls.TCP_RMEM_MAX, 3145728L)
                .containsEntry(Sysctls.TCP_WMEM_MAX, 65536L).containsEntry(Sysctls.TCP_CONGESTION_CONTROL, 0L);
    }

    @Test
    void packetdrillOptions_agreeingWithTheHarness_areAccepted() {
        Script script = parse("--ip_version=ipv4\n--local_ip=192.168.0.1 --remote_ip=192.0.2.1\n--tolerance_usecs=7000\n"
                + "--tcp_ts_ecr_scaled\n--mss=1000\n" + LISTEN);
        assertThat(script.toleranceUs()).isEqualTo(7000);
        assertThat(script.notes()).anyMatch(n -> n.startsWith("line 5: --mss=1000"));
    }

    @Test
    void timedSetupLine_changesTheKernelAtItsTime_andTheRestoreScriptPutsTheOldValueBack() {
        // timestamps off for the first SYN-ACK only: set_sysctls.py's restore script turns them back on
        ScriptReport report = ScriptRunnerTest.run("""
                0    `../common/set_sysctls.py /proc/sys/net/ipv4/tcp_timestamps=0`
                +0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0   bind(3, ..., ...) = 0
                +0   listen(3, 5) = 0
                +0   < S 0:0(0) win 32792 <mss 1000,sackOK,TS val 1 ecr 0>
                +0   > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
                +0   `/tmp/sysctl_restore_${PPID}.sh`
                +0   < 40000>8080 S 0:0(0) win 32792 <mss 1000,sackOK,TS val 1 ecr 0>
                +0   > 8080>40000 S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 0 ecr 1>
                """);
        assertThat(report.result()).as(ReportText.render(report)).isEqualTo("pass");
        assertThat(ScriptRunnerTest.line(report, 1).kind()).isEqualTo("setup");
    }

    @Test
    void codeBlocks_assertOverTcpInfoOfTheSocketUnderTest() {
        String established = LISTEN + """
                +0   < S 0:0(0) win 32792 <mss 1000,nop,nop,sackOK>
                +0   > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
                +.1  < . 1:1(0) ack 1 win 32792
                +0   accept(3, ..., ...) = 4
                """;
        ScriptReport pass = ScriptRunnerTest.run(established + """
                +0   %{
                mss = 1000
                assert tcpi_state == TCP_ESTABLISHED, tcpi_state
                assert tcpi_options & TCPI_OPT_SACK and not (tcpi_options & TCPI_OPT_TIMESTAMPS), 'opts=%d' % tcpi_options
                assert tcpi_snd_mss == mss; assert 90000 <= tcpi_rtt <= 110000
                }%
                """);
        assertThat(pass.result()).as(ReportText.render(pass)).isEqualTo("pass");
        // print() is evaluated and not checked; += adds to a name bound earlier
        ScriptReport counted = ScriptRunnerTest.run(established + """
                +0   %{ print(tcpi_snd_cwnd); cwnd = 8; cwnd += 2; assert tcpi_snd_cwnd == cwnd, tcpi_snd_cwnd }%
                +0   %{ cwnd -= 1; assert tcpi_snd_cwnd == cwnd + 1 }%
                """);
        assertThat(counted.result()).as(ReportText.render(counted)).isEqualTo("pass");
        ScriptReport fail = ScriptRunnerTest.run(established + "+0 %{ assert tcpi_snd_mss == 1460, tcpi_snd_mss }%\n");
        assertThat(fail.result()).isEqualTo("fail");
        assertThat(fail.failure().line()).isEqualTo(8);
        assertThat(fail.failure().detail()).isEqualTo("assertion failed: assert tcpi_snd_mss == 1460, tcpi_snd_mss "
                + "(tcpi_snd_mss = 1000) (TCP_INFO of fd 4)");
    }
}
