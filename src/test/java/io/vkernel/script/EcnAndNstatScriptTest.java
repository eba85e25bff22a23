package io.vkernel.script;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Scripts with packetdrill's ECN notation (E and W flags, [ect0] [ect1] [ce] [noecn] [ect01] before the flags) and
 * with nstat lines, which are read against the kernel's MIB counters.
 */
class EcnAndNstatScriptTest {

    private static final String LISTEN = """
            `sysctl -q net.ipv4.tcp_timestamps=0`
            0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0   setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
            +0   bind(3, ..., ...) = 0
            +0   listen(3, 1) = 0
            """;

    private static final String ECN_CONNECTION = LISTEN + """
            +0   < SEW 0:0(0) win 65535 <mss 1000,nop,nop,sackOK,nop,wscale 6>
            +0   > SE. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>
            +.1  < . 1:1(0) ack 1 win 1000
            +0   accept(3, ..., ...) = 4
            +0   write(4, ..., 1000) = 1000
            """;

    private static ScriptReport run(String text) {
        return ScriptRunner.run(ScriptParser.parse(text, ScriptLimits.defaults()), 1, ScriptLimits.defaults());
    }

    @Test
    void outboundEcnAnnotation_isChecked_andAMismatchNamesBothFields() {
        assertThat(run(ECN_CONNECTION + "+0 > [ect0] P. 1:1001(1000) ack 1\n").passed()).isTrue();
        assertThat(run(ECN_CONNECTION + "+0 > [ect01] P. 1:1001(1000) ack 1\n").passed()).isTrue();
        assertThat(run(ECN_CONNECTION + "+0 > P. 1:1001(1000) ack 1\n").passed()).as("no annotation: not checked").isTrue();
        ScriptReport wrong = run(ECN_CONNECTION + "+0 > [noecn] P. 1:1001(1000) ack 1\n");
        assertThat(wrong.passed()).isFalse();
        assertThat(wrong.failure().detail()).contains("IP ECN field: expected [noecn] but the kernel sent [ect0]");
    }

    @Test
    void withoutEcn_theSameWriteIsNotEct() {
        ScriptReport report = run(LISTEN + """
                +0   < S 0:0(0) win 65535 <mss 1000,nop,nop,sackOK,nop,wscale 6>
                +0   > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>
                +.1  < . 1:1(0) ack 1 win 1000
                +0   accept(3, ..., ...) = 4
                +0   write(4, ..., 1000) = 1000
                +0   > [ect0] P. 1:1001(1000) ack 1
                """);
        assertThat(report.failure().detail()).contains("expected [ect0] but the kernel sent [noecn]");
    }

    @Test
    void nstatGrep_failsWhenTheCounterDidNotChangeSinceTheLastNstat() {
        ScriptReport report = run(LISTEN + """
                +0   `nstat > /dev/null`
                +0   < S 0:0(0) win 65535 <mss 1000,nop,nop,sackOK,nop,wscale 6>
                +0   > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>
                +0   `nstat | grep TcpOutRsts`
                """);
        assertThat(report.passed()).isFalse();
        assertThat(report.failure().detail()).isEqualTo("nstat | grep TcpOutRsts found nothing: TcpOutRsts did not change "
                + "since the last nstat (it is 0)");
    }

    @Test
    void nstatForms_outsideTheUnderstoodOnes_areRefusedWithTheFormsUnderstood() {
        assertThatThrownBy(() -> ScriptParser.parse(LISTEN + "+0 `nstat -z`\n", ScriptLimits.defaults()))
                .hasMessageContaining("nstat's options here are none, -n or -s").hasMessageContaining(Nstat.FORMS);
        assertThatThrownBy(() -> ScriptParser.parse(LISTEN + "+0 `nstat | awk '{print $2}'`\n", ScriptLimits.defaults()))
                .hasMessageContaining("after the pipe comes one grep COUNTER");
        assertThatThrownBy(() -> ScriptParser.parse(LISTEN + "+0 `nstat | grep TcpExtNoSuchThing`\n", ScriptLimits.defaults()))
                .hasMessageContaining("nstat counter 'TcpExtNoSuchThing' is not kept by vkernel").hasMessageContaining("TcpOutRsts");
        assertThatThrownBy(() -> ScriptParser.parse("`nstat -n`\n" + LISTEN, ScriptLimits.defaults()))
                .hasMessageContaining("an nstat line needs its time");
    }
}
