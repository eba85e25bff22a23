package io.vkernel.script;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** How a run judges a script: packets matched as packetdrill matches them, on virtual time. */
class ScriptRunnerTest {

    /** A listener on 8080 and an established connection (fd 4) from the harness's remote port, without options. */
    private static final String ESTABLISHED = """
            0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0   setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
            +0   bind(3, ..., ...) = 0
            +0   listen(3, 1) = 0
            +0   < S 0:0(0) win 32792 <mss 1000>
            +0   > S. 0:0(0) ack 1 <mss 1460>
            +.1  < . 1:1(0) ack 1 win 32792
            +0   accept(3, ..., ...) = 4
            """;

    private static final String SYN_ONLY = """
            0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0   bind(3, ..., ...) = 0
            +0   listen(3, 1) = 0
            +0   < S 0:0(0) win 32792 <mss 1000>
            +0   > S. 0:0(0) ack 1 <mss 1460>
            """;

    static ScriptReport run(String text) {
        return run(text, Harness.DEFAULT_SEED);
    }

    static ScriptReport run(String text, long seed) {
        return ScriptRunner.run(ScriptParser.parse(text, ScriptLimits.defaults()), seed, ScriptLimits.defaults());
    }

    static ScriptReport.ScriptLine line(ScriptReport report, int line) {
        return report.lines().stream().filter(l -> l.line() != null && l.line() == line).findFirst().orElseThrow();
    }

    @Test
    void passingScript_reportsEveryLine_theSetupAndTheWire() {
        ScriptReport report = run(ESTABLISHED);
        assertThat(report.result()).isEqualTo("pass");
        assertThat(report.summary()).isEqualTo("8 of 8 lines passed");
        assertThat(report.failure()).isNull();
        assertThat(report.setup().local()).isEqualTo("192.168.0.1:8080");
        assertThat(report.setup().remote()).isEqualTo("192.0.2.1:" + Harness.REMOTE_PORT);
        assertThat(line(report, 6).actual()).isEqualTo("S. 0:0(0) ack 1 win 64240 <mss 1460>");
        assertThat(line(report, 6).wire()).startsWith("192.168.0.1:8080 > 192.0.2.1:" + Harness.REMOTE_PORT + ": Flags [S.]");
        assertThat(line(report, 8).actual()).isEqualTo("accept(3, {sa_family=AF_INET, sin_port=htons(" + Harness.REMOTE_PORT
                + "), sin_addr=inet_addr(\"192.0.2.1\")}, [16]) = 4");
        assertThat(report.wire()).extracting(ScriptReport.ScriptPacket::direction).containsExactly("in", "out", "in");
        assertThat(report.wire().get(2).time()).isEqualTo(0.1);
    }

    @Test
    void wrongField_failsTheLine_withExpectedAndActual_andStopsTheRun() {
        ScriptReport report = run(ESTABLISHED + """
                +0   close(4) = 0
                +0   > F. 1:1(0) ack 2
                +.1  < . 1:1(0) ack 2 win 32792
                """);
        assertThat(report.result()).isEqualTo("fail");
        assertThat(report.failure().line()).isEqualTo(10);
        ScriptReport.ScriptLine fin = line(report, 10);
        assertThat(fin.status()).isEqualTo("fail");
        assertThat(fin.expected()).isEqualTo("F. 1:1(0) ack 2");
        assertThat(fin.actual()).isEqualTo("F. 1:1(0) ack 1 win 64240");
        assertThat(fin.detail()).isEqualTo("ack: expected 2 but the kernel sent 1");
        assertThat(line(report, 11).status()).isEqualTo("not-run");
        assertThat(report.summary()).isEqualTo("9 of 11 lines passed; line 10 failed");
    }

    @Test
    void packetTheScriptDidNotExpect_meetsTheNextOutboundLine_asInPacketdrill() {
        ScriptReport report = run(ESTABLISHED + """
                +.1  < P. 1:11(10) ack 1 win 32792
                +0   read(4, ..., 10) = 10
                +0   write(4, ..., 5) = 5
                +0   > P. 1:6(5) ack 11
                """);
        assertThat(line(report, 10).status()).isEqualTo("pass");
        assertThat(line(report, 11).status()).isEqualTo("pass");
        ScriptReport.ScriptLine data = line(report, 12);
        assertThat(data.status()).isEqualTo("fail");
        assertThat(data.actual()).isEqualTo(". 1:1(0) ack 11 win 64230"); // tcp_select_window() keeps what is left of the 64240 offered
        assertThat(data.detail()).startsWith("flags: expected P. but the kernel sent .; payload: expected 5 bytes but the kernel sent 0")
                .endsWith("(the kernel sent this packet after line 9)");
    }

    @Test
    void packetAfterTheLastLine_isReported_butNotJudged_asInPacketdrill() {
        ScriptReport report = run(ESTABLISHED + "+0 close(4) = 0\n");
        assertThat(report.result()).isEqualTo("pass");
        ScriptReport.ScriptLine end = report.lines().get(report.lines().size() - 1);
        assertThat(end.kind()).isEqualTo("end");
        assertThat(end.text()).isEqualTo("(end of script)");
        assertThat(end.detail()).startsWith("unexpected outbound packet after the last line: the kernel sent F. 1:1(0) ack 1")
                .endsWith("packetdrill does not check packets after a script's last line");
    }

    @Test
    void fileDescriptors_areMappedAsPacketdrillMapsThem_anyNewFdMatchesTheScriptsNumber() {
        ScriptReport report = run("""
                0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 5
                +0   bind(5, ..., ...) = 0
                +0   listen(5, 1) = 0
                +0   < S 0:0(0) win 32792 <mss 1000>
                +0   > S. 0:0(0) ack 1 <mss 1460>
                +.1  < . 1:1(0) ack 1 win 32792
                +0   accept(5, ..., ...) = 9
                +0   write(9, ..., 10) = 10
                +0   > P. 1:11(10) ack 1
                +0   close(7) = -1 EBADF (Bad file descriptor)
                """);
        assertThat(report.result()).as(ReportText.render(report)).isEqualTo("pass");
        assertThat(line(report, 1).detail()).isEqualTo("the script's fd 5 is the kernel's fd 3");
        assertThat(line(report, 7).actual()).endsWith(" = 4");
        assertThat(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = -1 EMFILE\n").failure().detail())
                .startsWith("expected the call to return -1 but it returned 3");
    }

    @Test
    void packetThatNeverComes_failsTheLine() {
        ScriptReport report = run(ESTABLISHED + "+1 > F. 1:1(0) ack 1\n");
        assertThat(line(report, 9).detail()).isEqualTo("expected the kernel to send F. 1:1(0) ack 1 at 1.100 s, "
                + "but it sent nothing by 1.104 s");
    }

    @Test
    void timing_isMatchedWithinTheTolerance() {
        assertThat(run(SYN_ONLY + "+1.003 > S. 0:0(0) ack 1 <mss 1460>\n").result())
                .as("the SYN-ACK retransmission comes at 1.000 s: 3 ms off is within 4000 us").isEqualTo("pass");
        ScriptReport strict = run("--tolerance_usecs=1000\n" + SYN_ONLY + "+1.003 > S. 0:0(0) ack 1 <mss 1460>\n");
        assertThat(strict.failure().detail()).isEqualTo("timing error: expected outbound packet at 1.003 s "
                + "(tolerance 0.001 s) but it happened at 1.000 s");
    }

    @Test
    void rangesAndAnyTime_matchWheneverThePacketComesInside() {
        assertThat(run(SYN_ONLY + "+0.5~+1.5 > S. 0:0(0) ack 1 <mss 1460>\n*  > S. 0:0(0) ack 1 <mss 1460>\n").result()).isEqualTo("pass");
        ScriptReport late = run(SYN_ONLY + "+0.2~+0.5 > S. 0:0(0) ack 1 <mss 1460>\n");
        assertThat(late.failure().detail()).contains("sent nothing by 0.504 s");
    }

    @Test
    void timestamps_theEchoTheScriptWrites_isTheValueTheKernelSent() {
        ScriptReport report = run("""
                0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0   bind(3, ..., ...) = 0
                +0   listen(3, 1) = 0
                +0   < S 0:0(0) win 32792 <mss 1000,sackOK,TS val 100 ecr 0,nop,wscale 7>
                +0   > S. 0:0(0) ack 1 win 65160 <mss 1460,sackOK,TS val 5000 ecr 100,nop,wscale 7>
                +.1  < . 1:1(0) ack 1 win 257 <nop,nop,TS val 200 ecr 5000>
                """);
        assertThat(report.result()).isEqualTo("pass");
        String synAck = line(report, 5).wire();
        String ack = line(report, 6).wire();
        assertThat(echo(ack)).isEqualTo(tsVal(synAck)).isNotEqualTo("5000");
    }

    @Test
    void timestampValues_areCheckedOnlyWithATick() {
        String script = """
                0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0   bind(3, ..., ...) = 0
                +0   listen(3, 1) = 0
                +0   < S 0:0(0) win 32792 <mss 1000,sackOK,TS val 100 ecr 0,nop,wscale 7>
                +0   > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 5000 ecr 100,nop,wscale 7>
                +1   > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val %d ecr 100,nop,wscale 7>
                """;
        assertThat(run(script.formatted(7777)).result()).as("TS val not checked by default").isEqualTo("pass");
        assertThat(run("--tcp_ts_tick_usecs=1000\n" + script.formatted(6000)).result()).as("1000 ticks of 1 ms later").isEqualTo("pass");
        ScriptReport off = run("--tcp_ts_tick_usecs=1000\n" + script.formatted(6100));
        assertThat(off.failure().detail()).contains("TS val: expected 6100 but the kernel's is 6000 in script time");
    }

    @Test
    void blockingCall_withoutItsReturnTime_runsUntilItReturns_andSaysHowLong() {
        ScriptReport report = run(ESTABLISHED + """
                +0   read(4, ..., 100) = 10
                +.25 < P. 1:11(10) ack 1 win 32792
                +0   > . 1:1(0) ack 11
                """);
        assertThat(report.result()).isEqualTo("pass");
        ScriptReport.ScriptLine read = line(report, 9);
        assertThat(read.time()).isEqualTo(0.1);
        assertThat(read.returned()).isEqualTo(0.35);
        assertThat(read.detail()).isEqualTo("the call blocked from 0.100 until 0.350 s; packetdrill writes such a call with "
                + "its return time, e.g. +0...0.250");
    }

    @Test
    void blockingCall_returningAtTheWrongTime_fails() {
        ScriptReport report = run(ESTABLISHED + """
                +0...0.1 read(4, ..., 100) = 10
                +.25 < P. 1:11(10) ack 1 win 32792
                +0   > . 1:1(0) ack 11
                """);
        assertThat(report.failure().line()).isEqualTo(9);
        assertThat(report.failure().detail()).isEqualTo("timing error: expected the call to return at 0.200 s "
                + "(tolerance 0.004 s) but it returned at 0.350 s");
    }

    @Test
    void scriptEndingWhileACallIsBlocked_fails() {
        ScriptReport report = run(ESTABLISHED + "+0...1 read(4, ..., 100) = 10\n");
        assertThat(line(report, 9).status()).isEqualTo("fail");
        assertThat(report.failure().detail()).isEqualTo("the script ended while this call was still blocked (since 0.100 s)");
    }

    @Test
    void secondBlockingCall_whileOneIsBlocked_fails() {
        ScriptReport report = run(ESTABLISHED + """
                +0...1 read(4, ..., 100) = 10
                +0...1 read(4, ..., 100) = 10
                """);
        assertThat(report.failure().line()).isEqualTo(10);
        assertThat(report.failure().detail()).isEqualTo("blocking system call while another blocking system call (line 9) is already in progress");
    }

    @Test
    void sysctlDirective_setsTheTunableBeforeTimeZero() {
        ScriptReport report = run("// vkernel-sysctl net.ipv4.tcp_synack_retries=1\n" + SYN_ONLY + """
                +1   > S. 0:0(0) ack 1 <mss 1460>
                +2.1 < . 1:1(0) ack 1 win 32792
                +0   > R 1:1(0)
                """);
        assertThat(report.result()).as(ReportText.render(report)).isEqualTo("pass");
        assertThat(report.setup().sysctls()).containsEntry("net.ipv4.tcp_synack_retries", 1L);
    }

    @Test
    void sameSeed_sameWire_andAnotherSeed_anotherIsn_butTheSameVerdict() {
        List<String> first = run(ESTABLISHED, 7).wire().stream().map(ScriptReport.ScriptPacket::packet).toList();
        List<String> again = run(ESTABLISHED, 7).wire().stream().map(ScriptReport.ScriptPacket::packet).toList();
        ScriptReport other = run(ESTABLISHED, 8);
        assertThat(again).isEqualTo(first);
        assertThat(other.result()).isEqualTo("pass");
        assertThat(other.wire().get(1).packet()).isNotEqualTo(first.get(1));
    }

    @Test
    void explicitPorts_tellConnectionsApart() {
        ScriptReport report = run("""
                0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0   bind(3, ..., ...) = 0
                +0   listen(3, 5) = 0
                +0   < 40001>8080 S 0:0(0) win 32792 <mss 1000>
                +0   > 8080>40001 S. 0:0(0) ack 1 <mss 1460>
                +0   < 40002>8080 S 0:0(0) win 32792 <mss 1000>
                +0   > 8080>40001 S. 0:0(0) ack 1 <mss 1460>
                """);
        assertThat(line(report, 7).detail()).isEqualTo("connection: expected a packet 8080>40001 (to 192.0.2.1:40001) "
                + "but it went 8080>40002 (to 192.0.2.1:40002)");
    }

    private static String tsVal(String wire) {
        Matcher m = Pattern.compile("TS val (\\d+)").matcher(wire);
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static String echo(String wire) {
        Matcher m = Pattern.compile("ecr (\\d+)").matcher(wire);
        assertThat(m.find()).isTrue();
        return m.group(1);
    }
}
