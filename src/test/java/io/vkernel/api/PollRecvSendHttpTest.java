package io.vkernel.api;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** poll(), recv() and send() over HTTP: what tcp_poll() reports, MSG_PEEK / MSG_DONTWAIT, and their strace lines. */
class PollRecvSendHttpTest extends HttpKernelTest {

    /** The service holds at most 64 kernels for every test class that shares its context: give this one back. */
    @AfterEach
    void deleteKernel() {
        http.send(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete(base));
    }

    @Test
    void poll_reportsTheListenerReadable_onceAConnectionWaits_andAConnectionWritable() {
        Http.Reply idle = syscall("poll", "{\"fds\":[{\"fd\":3,\"events\":[\"POLLIN\"]}],\"timeout\":0}");
        assertThat(idle.<Integer>at("$.ret")).isZero();
        assertThat(idle.<String>at("$.strace")).isEqualTo("poll([{fd=3, events=POLLIN}], 1, 0) = 0 (Timeout)");

        connect("192.168.1.100", 54321);
        Http.Reply ready = syscall("poll", "{\"fds\":[{\"fd\":3,\"events\":[\"POLLIN\",\"POLLOUT\"]},{\"fd\":9,\"events\":[\"POLLIN\"]}]}");
        assertThat(ready.<Integer>at("$.ret")).isEqualTo(2);
        assertThat(ready.<List<String>>at("$.revents")).containsExactly("POLLIN", "POLLNVAL");

        syscall("accept", "{\"fd\":3}");
        assertThat(syscall("poll", "{\"fds\":[{\"fd\":4,\"events\":[\"POLLIN\",\"POLLOUT\"]}]}").<List<String>>at("$.revents"))
                .containsExactly("POLLOUT");
    }

    @Test
    void aBlockingPoll_sleeps_untilDataArrives() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        Http.Reply pending = http.post(base + "/processes/" + pid + "/poll?wait=0", "{\"fds\":[{\"fd\":4,\"events\":[\"POLLIN\"]}],\"timeout\":-1}");
        assertThat(pending.status()).isEqualTo(202);
        inject("192.168.1.100", 54321, "P.", 1001, ack("192.168.1.100", 54321), "hello");
        String href = pending.at("$.pending.href");
        Http.Reply done = http.get(href + "?wait=0");
        assertThat(done.<String>at("$.strace")).isEqualTo("poll([{fd=4, events=POLLIN}], 1, -1) = 1 ([{fd=4, revents=POLLIN}])");
    }

    @Test
    void recvWithMsgPeek_leavesTheBytesQueued_andMsgDontwaitNeverSleeps() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        Http.Reply empty = syscall("recv", "{\"fd\":4,\"flags\":[\"MSG_DONTWAIT\"]}");
        assertThat(empty.<String>at("$.errno")).isEqualTo("EAGAIN");
        assertThat(empty.<String>at("$.strace")).isEqualTo("recvfrom(4, ..., 4096, MSG_DONTWAIT, NULL, NULL) = -1 EAGAIN (Resource temporarily unavailable)");

        inject("192.168.1.100", 54321, "P.", 1001, ack("192.168.1.100", 54321), "hello");
        Http.Reply peeked = syscall("recv", "{\"fd\":4,\"count\":3,\"flags\":[\"MSG_PEEK\"]}");
        assertThat(peeked.<String>at("$.data")).isEqualTo("hel");
        assertThat(peeked.<String>at("$.strace")).isEqualTo("recvfrom(4, \"hel\", 3, MSG_PEEK, NULL, NULL) = 3");
        assertThat(syscall("read", "{\"fd\":4}").<String>at("$.data")).isEqualTo("hello");

        Http.Reply sent = syscall("send", "{\"fd\":4,\"data\":\"hi\",\"flags\":[\"MSG_DONTWAIT\",\"MSG_NOSIGNAL\"]}");
        assertThat(sent.<String>at("$.strace")).isEqualTo("sendto(4, \"hi\", 2, MSG_DONTWAIT|MSG_NOSIGNAL, NULL, 0) = 2");
        assertThat(sent.<List<String>>at("$.sent[*].flags")).containsExactly("P.");
    }

    @Test
    void tcpCork_overHttp_holdsASmallWrite_untilUncorked() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        assertThat(syscall("setsockopt", "{\"fd\":4,\"option\":\"TCP_CORK\",\"value\":1}").<String>at("$.strace"))
                .isEqualTo("setsockopt(4, SOL_TCP, TCP_CORK, [1], 4) = 0");
        assertThat(syscall("write", "{\"fd\":4,\"data\":\"hello\"}").body()).doesNotContain("\"sent\"");
        syscall("setsockopt", "{\"fd\":4,\"option\":\"TCP_CORK\",\"value\":0}");
        List<String> wire = http.get(base + "/packets?limit=100").at("$[*].flags");
        assertThat(wire.get(wire.size() - 1)).isEqualTo("P.");
        assertThat(syscall("setsockopt", "{\"fd\":4,\"option\":\"TCP_MAXSEG\",\"value\":40}").<String>at("$.errno")).isEqualTo("EINVAL");
    }

    @Test
    void sendWithIov_isSendmsg_andZeroCopyPinsEachIovecAsAFrag_whileBadLengthsAre400s() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        syscall("setsockopt", "{\"fd\":4,\"option\":\"SO_ZEROCOPY\",\"value\":1}");
        syscall("setsockopt", "{\"fd\":4,\"option\":\"TCP_NODELAY\",\"value\":1}");
        // 20 one-byte iovecs: 17 frags fill the first skb (MAX_SKB_FRAGS), the other 3 go in a second
        String data = "abcdefghijklmnopqrst";
        String iov = String.join(",", java.util.Collections.nCopies(20, "1"));
        Http.Reply sent = syscall("send", "{\"fd\":4,\"data\":\"" + data + "\",\"iov\":[" + iov + "],\"flags\":[\"MSG_ZEROCOPY\"]}");
        assertThat(sent.<Integer>at("$.ret")).isEqualTo(20);
        assertThat(sent.<String>at("$.strace")).startsWith("sendmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"a\", iov_len=1}, ")
                .endsWith("msg_iovlen=20, msg_controllen=0, msg_flags=0}, MSG_ZEROCOPY) = 20");
        assertThat(sent.<List<Integer>>at("$.sent[*].length")).containsExactly(17, 3);

        Http.Reply wrongSum = syscall("send", "{\"fd\":4,\"data\":\"abc\",\"iov\":[1,1]}");
        assertThat(wrongSum.status()).isEqualTo(400);
        assertThat(wrongSum.body()).contains("iov").contains("add up to 2 bytes");
        assertThat(syscall("send", "{\"fd\":4,\"data\":\"abc\",\"iov\":[4,-1]}").status()).isEqualTo(400);
        assertThat(syscall("send", "{\"fd\":4,\"data\":\"abc\",\"iov\":[]}").status()).isEqualTo(400);
    }

    @Test
    void unknownFlagsAndEvents_are400sNamingTheField() {
        Http.Reply badFlag = syscall("recv", "{\"fd\":3,\"flags\":[\"MSG_OOB\"]}");
        assertThat(badFlag.status()).isEqualTo(400);
        assertThat(badFlag.body()).contains("flags").contains("MSG_PEEK");
        Http.Reply badEvent = syscall("poll", "{\"fds\":[{\"fd\":3,\"events\":[\"POLLFOO\"]}]}");
        assertThat(badEvent.status()).isEqualTo(400);
        assertThat(badEvent.body()).contains("fds[0].events");
        assertThat(syscall("poll", "{\"fds\":[]}").status()).isEqualTo(400);
        assertThat(syscall("poll", "{\"fds\":[{\"fd\":3}],\"timeout\":-2}").status()).isEqualTo(400);
    }
}
