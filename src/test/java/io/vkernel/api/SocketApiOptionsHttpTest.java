package io.vkernel.api;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The socket options the public packetdrill suites set beyond the basic ones, over HTTP with their strace lines. */
class SocketApiOptionsHttpTest extends HttpKernelTest {

    @AfterEach
    void deleteKernel() {
        http.send(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete(base));
    }

    @Test
    void ipTos_keepsTheEcnBits_andIsReadBackAtSolIp() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        assertThat(syscall("setsockopt", "{\"fd\":4,\"option\":\"IP_TOS\",\"value\":17}").<String>at("$.strace"))
                .isEqualTo("setsockopt(4, SOL_IP, IP_TOS, [17], 4) = 0");
        // __ip_sock_set_tos(): on a TCP socket the two ECN bits stay the kernel's, so 0x11 reads back as 0x10
        assertThat(syscall("getsockopt", "{\"fd\":4,\"option\":\"IP_TOS\"}").<String>at("$.strace"))
                .isEqualTo("getsockopt(4, SOL_IP, IP_TOS, [16], [4]) = 0");
    }

    @Test
    void ipMtuDiscover_outOfRange_isEinval_andDefaultsToWant() {
        assertThat(syscall("getsockopt", "{\"fd\":3,\"option\":\"IP_MTU_DISCOVER\"}").<String>at("$.strace"))
                .isEqualTo("getsockopt(3, SOL_IP, IP_MTU_DISCOVER, [1], [4]) = 0");
        Http.Reply bad = syscall("setsockopt", "{\"fd\":3,\"option\":\"IP_MTU_DISCOVER\",\"value\":6}");
        assertThat(bad.<String>at("$.errno")).isEqualTo("EINVAL");
    }

    @Test
    void tcpUserTimeout_andTcpInq_areInheritedByTheAcceptedSocket() {
        assertThat(syscall("setsockopt", "{\"fd\":3,\"option\":\"TCP_USER_TIMEOUT\",\"value\":3000}").<String>at("$.strace"))
                .isEqualTo("setsockopt(3, SOL_TCP, TCP_USER_TIMEOUT, [3000], 4) = 0");
        syscall("setsockopt", "{\"fd\":3,\"option\":\"TCP_INQ\",\"value\":1}");
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        assertThat(syscall("getsockopt", "{\"fd\":4,\"option\":\"TCP_USER_TIMEOUT\"}").<String>at("$.strace"))
                .isEqualTo("getsockopt(4, SOL_TCP, TCP_USER_TIMEOUT, [3000], [4]) = 0");
        assertThat(syscall("getsockopt", "{\"fd\":4,\"option\":\"TCP_INQ\"}").<String>at("$.strace"))
                .isEqualTo("getsockopt(4, SOL_TCP, TCP_INQ, [1], [4]) = 0");
        assertThat(syscall("setsockopt", "{\"fd\":4,\"option\":\"TCP_INQ\",\"value\":2}").<String>at("$.errno")).isEqualTo("EINVAL");
    }

    @Test
    void tcpSyncntAndKeepalive_overrideTheSysctls_andAreInheritedByTheAcceptedSocket() {
        // getsockopt() without a value of its own reads the sysctl (keepalive_time_when(), icsk_syn_retries ?: sysctl)
        assertThat(syscall("getsockopt", "{\"fd\":3,\"option\":\"TCP_KEEPIDLE\"}").<String>at("$.strace"))
                .isEqualTo("getsockopt(3, SOL_TCP, TCP_KEEPIDLE, [7200], [4]) = 0");
        assertThat(syscall("setsockopt", "{\"fd\":3,\"option\":\"TCP_SYNCNT\",\"value\":2}").<String>at("$.strace"))
                .isEqualTo("setsockopt(3, SOL_TCP, TCP_SYNCNT, [2], 4) = 0");
        syscall("setsockopt", "{\"fd\":3,\"option\":\"TCP_KEEPCNT\",\"value\":3}");
        assertThat(syscall("setsockopt", "{\"fd\":3,\"option\":\"TCP_KEEPINTVL\",\"value\":0}").<String>at("$.errno")).isEqualTo("EINVAL");
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        assertThat(syscall("getsockopt", "{\"fd\":4,\"option\":\"TCP_KEEPCNT\"}").<String>at("$.strace"))
                .isEqualTo("getsockopt(4, SOL_TCP, TCP_KEEPCNT, [3], [4]) = 0");
        assertThat(syscall("getsockopt", "{\"fd\":4,\"option\":\"TCP_SYNCNT\"}").<String>at("$.strace"))
                .isEqualTo("getsockopt(4, SOL_TCP, TCP_SYNCNT, [2], [4]) = 0");
    }

    @Test
    void recvmsg_carriesTheTcpInqHint_onlyWhenTcpInqIsSet() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        inject("192.168.1.100", 54321, "P.", 1001, ack("192.168.1.100", 54321), "hello");
        Http.Reply plain = syscall("recvmsg", "{\"fd\":4,\"count\":1}");
        assertThat(plain.<String>at("$.data")).isEqualTo("h");
        assertThat(plain.<String>at("$.strace")).contains("msg_controllen=0").endsWith(", 0) = 1");

        syscall("setsockopt", "{\"fd\":4,\"option\":\"TCP_INQ\",\"value\":1}");
        Http.Reply hinted = syscall("recvmsg", "{\"fd\":4,\"count\":2}");
        assertThat(hinted.<String>at("$.data")).isEqualTo("el");
        assertThat(hinted.<Integer>at("$.value")).isEqualTo(2);
        assertThat(hinted.<String>at("$.strace")).startsWith("recvmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"el\", iov_len=2}]")
                .contains("msg_control=[{cmsg_len=20, cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=2}]");
    }

    @Test
    void zeroCopySend_notifiesOnTheErrorQueueOnceAcknowledged_readWithMsgErrqueue() {
        assertThat(syscall("setsockopt", "{\"fd\":3,\"option\":\"SO_ZEROCOPY\",\"value\":1}").<String>at("$.strace"))
                .isEqualTo("setsockopt(3, SOL_SOCKET, SO_ZEROCOPY, [1], 4) = 0");
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        assertThat(syscall("send", "{\"fd\":4,\"data\":\"hello\",\"flags\":[\"MSG_ZEROCOPY\"]}").<Integer>at("$.ret")).isEqualTo(5);
        Http.Reply early = syscall("recvmsg", "{\"fd\":4,\"count\":0,\"flags\":[\"MSG_ERRQUEUE\"]}");
        assertThat(early.<String>at("$.errno")).isEqualTo("EAGAIN");

        long serverSeq = ack("192.168.1.100", 54321);
        inject("192.168.1.100", 54321, ".", 1001, serverSeq + 5, null);
        Http.Reply polled = syscall("poll", "{\"fds\":[{\"fd\":4,\"events\":[\"POLLIN\"]}],\"timeout\":0}");
        assertThat(polled.<java.util.List<String>>at("$.revents")).containsExactly("POLLERR");
        Http.Reply note = syscall("recvmsg", "{\"fd\":4,\"count\":0,\"flags\":[\"MSG_ERRQUEUE\"]}");
        assertThat(note.<Integer>at("$.ret")).isZero();
        assertThat(note.<String>at("$.strace")).contains("cmsg_level=SOL_IP, cmsg_type=IP_RECVERR, cmsg_data={ee_errno=0, "
                + "ee_origin=SO_EE_ORIGIN_ZEROCOPY, ee_type=0, ee_code=SO_EE_CODE_ZEROCOPY_COPIED, ee_pad=0, ee_info=0, ee_data=0")
                .contains("msg_flags=MSG_ERRQUEUE");
    }
}
