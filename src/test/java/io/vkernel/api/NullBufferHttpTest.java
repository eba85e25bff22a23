package io.vkernel.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** buf "NULL": a NULL buffer pointer passed to read, recv, write and send, as the public syscall_bad_arg scripts pass it. */
class NullBufferHttpTest extends HttpKernelTest {

    @Test
    void nullBuffer_isEfaultWhereTheCopyFaults_andLeavesTheQueuedBytes() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        Http.Reply write = syscall("write", "{\"fd\":4,\"buf\":\"NULL\",\"count\":1000}");
        assertThat(write.<String>at("$.errno")).isEqualTo("EFAULT");
        assertThat(write.<String>at("$.strace")).isEqualTo("write(4, NULL, 1000) = -1 EFAULT (Bad address)");
        assertThat(syscall("send", "{\"fd\":4,\"buf\":\"NULL\",\"count\":10,\"flags\":[\"MSG_DONTWAIT\"]}").<String>at("$.strace"))
                .isEqualTo("sendto(4, NULL, 10, MSG_DONTWAIT, NULL, 0) = -1 EFAULT (Bad address)");

        inject("192.168.1.100", 54321, "P.", 1001, ack("192.168.1.100", 54321), "hello");
        assertThat(syscall("read", "{\"fd\":4,\"buf\":\"NULL\",\"count\":5}").<String>at("$.strace"))
                .isEqualTo("read(4, NULL, 5) = -1 EFAULT (Bad address)");
        assertThat(syscall("recv", "{\"fd\":4,\"buf\":\"NULL\",\"count\":5}").<String>at("$.errno")).isEqualTo("EFAULT");
        assertThat(syscall("read", "{\"fd\":4,\"count\":5}").<String>at("$.data")).isEqualTo("hello");
    }

    @Test
    void nullBuffer_badFields_areProblemsNamingTheField() {
        Http.Reply other = syscall("write", "{\"fd\":3,\"buf\":\"0x1234\",\"count\":10}");
        assertThat(other.status()).isEqualTo(400);
        assertThat(other.<String>at("$.field")).isEqualTo("buf");
        Http.Reply both = syscall("write", "{\"fd\":3,\"buf\":\"NULL\",\"data\":\"x\"}");
        assertThat(both.status()).isEqualTo(400);
        assertThat(both.<String>at("$.field")).isEqualTo("data");
        Http.Reply noCount = syscall("send", "{\"fd\":3,\"buf\":\"NULL\"}");
        assertThat(noCount.status()).isEqualTo(400);
        assertThat(noCount.<String>at("$.field")).isEqualTo("count");
        assertThat(syscall("recvmsg", "{\"fd\":3,\"buf\":\"NULL\"}").<String>at("$.field")).isEqualTo("buf");
    }
}
