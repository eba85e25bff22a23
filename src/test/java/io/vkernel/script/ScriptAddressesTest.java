package io.vkernel.script;

import io.vkernel.kernel.wire.Ipv4;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * packetdrill's --local_ip and --remote_ip: the kernel under test answers at the local address, the script's
 * packets come from the remote one, bind() and connect() with ... use them; --gateway_ip and --netmask_ip are
 * accepted; anything that is not an IPv4 host address is refused with its line.
 */
class ScriptAddressesTest {

    private static Script parse(String text) {
        return ScriptParser.parse(text, ScriptLimits.defaults());
    }

    private static final String PASSIVE = """
            0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0   setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
            +0   bind(3, ..., ...) = 0
            +0   listen(3, 1) = 0
            +0   < S 0:0(0) win 32792 <mss 1000,nop,nop,sackOK>
            +0   > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
            +.1  < . 1:1(0) ack 1 win 257
            +0   accept(3, ..., ...) = 4
            """;

    @Test
    void addresses_defaultToPacketdrills() {
        Script script = parse(PASSIVE);
        assertThat(script.addresses()).isEqualTo(ScriptAddresses.DEFAULT);
        assertThat(ScriptRunner.run(script, 1, ScriptLimits.defaults()).setup().local()).isEqualTo("192.168.0.1:8080");
    }

    @Test
    void localAndRemoteIp_moveTheKernelAndTheScriptSide_quotedAsThe2013SuiteWritesThem() {
        Script script = parse("--local_ip=10.1.2.3\n--remote_ip=\"172.16.5.6\" --gateway_ip=10.1.0.1 --netmask_ip=255.255.0.0\n" + PASSIVE);
        assertThat(script.addresses()).isEqualTo(new ScriptAddresses(Ipv4.parse("10.1.2.3"), Ipv4.parse("172.16.5.6")));
        ScriptReport report = ScriptRunner.run(script, 1, ScriptLimits.defaults());
        assertThat(report.passed()).as(report.summary()).isTrue();
        assertThat(report.setup().local()).isEqualTo("10.1.2.3:8080");
        assertThat(report.setup().remote()).startsWith("172.16.5.6:");
        assertThat(report.wire()).first().satisfies(p -> assertThat(p.packet()).startsWith("172.16.5.6:").contains("> 10.1.2.3:8080"));
        assertThat(report.wire().get(1).packet()).startsWith("10.1.2.3:8080 > 172.16.5.6:");
    }

    @Test
    void connect_withDots_goesToTheRemoteIp() {
        ScriptReport report = ScriptRunner.run(parse("""
                --local_ip=10.1.2.3
                --remote_ip=172.16.5.6
                0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0   fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
                +0   connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
                +0   > S 0:0(0) <...>
                """), 1, ScriptLimits.defaults());
        assertThat(report.passed()).as(report.summary()).isTrue();
        assertThat(report.wire().get(0).packet()).startsWith("10.1.2.3:").contains("> 172.16.5.6:8080");
    }

    @Test
    void addressesThatAreNotIpv4Hosts_areRefusedWithTheirLine() {
        assertThatThrownBy(() -> parse("--local_ip=fd3d:fa7b:d17d::1\n" + PASSIVE)).isInstanceOf(ScriptException.class)
                .hasMessageContaining("--local_ip takes an IPv4 address");
        assertThatThrownBy(() -> parse("--tolerance_usecs=5000\n--remote_ip=127.0.0.1\n" + PASSIVE))
                .isInstanceOfSatisfying(ScriptException.class, e -> assertThat(e.line()).isEqualTo(2))
                .hasMessageContaining("is not a host address");
        assertThatThrownBy(() -> parse("--local_ip=192.0.2.1\n" + PASSIVE)).hasMessageContaining("must differ");
        assertThatThrownBy(() -> parse("--remote_ip\n" + PASSIVE)).hasMessageContaining("needs an address");
        assertThatThrownBy(() -> parse("--gateway_ip=300.1.1.1\n" + PASSIVE)).hasMessageContaining("IPv4 address");
    }
}
