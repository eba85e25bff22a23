package io.vkernel.script;

import org.junit.jupiter.api.Test;

import static io.vkernel.script.ScriptParserTest.parse;
import static io.vkernel.script.ScriptParserTest.refused;
import static org.assertj.core.api.Assertions.assertThat;

/** How the runner reads the socket-API lines of issue 13 that the public suites write, and what it refuses. */
class SocketApiScriptTest {

    private static final String PREAMBLE = """
            0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0   bind(3, ..., ...) = 0
            +0   listen(3, 1) = 0
            """;

    @Test
    void aCodeBlockLineEndingInABackslash_continuesOnTheNext_asInPython() {
        Script script = parse(PREAMBLE + "+0 %{ assert tcpi_probes == 0, tcpi_probes; \\\n      assert tcpi_backoff == 0, tcpi_backoff }%\n");
        assertThat(script.events()).hasSize(4);
    }

    @Test
    void aBackslashOnTheBlocksLastLine_isRefusedWithItsLine() {
        refused(PREAMBLE + "+0 %{ assert tcpi_probes == 0 \\ }%\n", 4, "no line follows it");
    }

    @Test
    void solIpOptions_areReadByName_andUnknownOnesListWhatIsModelled() {
        assertThat(parse(PREAMBLE + "+0 setsockopt(3, SOL_IP, IP_MTU_DISCOVER, [IP_PMTUDISC_DONT], 1) = 0\n").events()).hasSize(4);
        assertThat(parse(PREAMBLE + "+0 setsockopt(3, SOL_IP, IP_FREEBIND, [1], 4) = 0\n").events()).hasSize(4);
        refused(PREAMBLE + "+0 setsockopt(3, SOL_IP, IP_TTL, [1], 4) = 0\n", 4, "IP_TOS, IP_MTU_DISCOVER, IP_FREEBIND");
        refused(PREAMBLE + "+0 setsockopt(3, SOL_IP, IP_TOS, [IP_PMTUDISC_DONT], 1) = 0\n", 4, "IP_TOS takes its value in brackets");
    }

    @Test
    void sendmsgAndRecvmsg_readTheMsghdr_andRefuseControlMessagesOtherThanTcpInq() {
        Script script = parse(PREAMBLE + "+0 sendmsg(3, {msg_name(...)=...,\n   msg_iov(2)=[{..., 100}, {..., 200}], msg_flags=0}, MSG_MORE) = 300\n");
        Call.SendMsg sendmsg = (Call.SendMsg) ((SyscallLine) script.events().get(3).action()).call();
        assertThat(sendmsg.data()).hasSize(300);
        assertThat(sendmsg.iov()).containsExactly(100, 200);
        refused(PREAMBLE + "+0 recvmsg(3, {msg_iov(1)=[{..., 10}], msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING, "
                + "cmsg_data=0}]}, 0) = 10\n", 4, "TCP_CM_INQ");
        refused(PREAMBLE + "+0 sendmsg(3, {msg_iov(1)=[{..., 10}], msg_control=[]}, 0) = 10\n", 4, "msg_name, msg_iov and msg_flags");
    }
}
