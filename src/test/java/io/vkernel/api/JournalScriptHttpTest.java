package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

/**
 * GET .../journal?format=pkt: a kernel driven over HTTP comes back as a packetdrill script, and that script passes
 * POST /api/v1/scripts/runs; a history the format cannot say is a 422 naming its first such step.
 */
class JournalScriptHttpTest extends HttpKernelTest {

    private Http.Reply exported() {
        return http.get(base + "/journal?format=pkt");
    }

    private Http.Reply run(String script) {
        return http.send(post("/api/v1/scripts/runs").contentType(MediaType.TEXT_PLAIN).content(script));
    }

    private String passingScript() {
        Http.Reply pkt = exported();
        assertThat(pkt.status()).as(pkt.body()).isEqualTo(200);
        assertThat(pkt.contentType()).startsWith("text/plain");
        Http.Reply ran = run(pkt.body());
        assertThat(ran.status()).isEqualTo(200);
        assertThat(ran.<String>at("$.result")).as(pkt.body() + "\n" + ran.body()).isEqualTo("pass");
        return pkt.body();
    }

    @Test
    void aServerThatAcceptsReadsWritesAndCloses_exportsAsAScriptTheRunnerPasses() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        long isn = ack("192.168.1.100", 54321) - 1;
        inject("192.168.1.100", 54321, "P.", 1001, isn + 1, "hello");
        assertThat(syscall("read", "{\"fd\":4,\"count\":100}").<Integer>at("$.ret")).isEqualTo(5);
        assertThat(syscall("write", "{\"fd\":4,\"data\":\"world!\"}").<Integer>at("$.ret")).isEqualTo(6);
        advance(10);
        inject("192.168.1.100", 54321, ".", 1006, isn + 7, null);
        // an errno: a second socket cannot bind the listener's port
        syscall("socket", "{}");
        assertThat(syscall("bind", "{\"fd\":5,\"addr\":\"0.0.0.0:8080\"}").<String>at("$.errno")).isEqualTo("EADDRINUSE");
        syscall("close", "{\"fd\":5}");
        assertThat(http.send(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put(base + "/sysctl/net.ipv4.tcp_fin_timeout")
                .contentType("application/json").content("{\"value\":30}")).status()).isEqualTo(200);
        syscall("close", "{\"fd\":4}");
        inject("192.168.1.100", 54321, "F.", 1006, isn + 8, null);
        advance(61_000);

        String script = passingScript();
        assertThat(script).contains("socket(..., SOCK_STREAM, IPPROTO_TCP) = 3")
                .contains("bind(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"0.0.0.0\")}, 16) = 0")
                .contains("< 54321>8080 S 1000:1000(0) win 65535")
                .contains("> 8080>54321 S. 0:0(0) ack 1001")
                .contains("accept(3, ..., ...) = 4")
                .contains("read(4, ..., 100) = 5")
                .contains("write(4, ..., 6) = 6")
                .contains("> 8080>54321 P. 1:7(6) ack 6")
                .contains("= -1 EADDRINUSE (Address already in use)")
                .contains("> 8080>54321 F. 7:7(0) ack 6")
                .contains("`sysctl -q net.ipv4.tcp_fin_timeout=30`");
    }

    @Test
    void aClientWhoseConnectBlocked_exportsTheCallWithItsReturnTime() {
        syscall("socket", "{}");
        syscall("setsockopt", "{\"fd\":4,\"option\":\"TCP_NODELAY\",\"value\":1}");
        Http.Reply blocked = http.post(base + "/processes/" + pid + "/connect?wait=0", "{\"fd\":4,\"addr\":\"192.168.1.100:80\"}");
        assertThat(blocked.status()).isEqualTo(202);
        List<Map<String, Object>> wire = http.get(base + "/packets?limit=10000").at("$");
        Map<String, Object> syn = wire.get(wire.size() - 1);
        assertThat(syn.get("flags")).isEqualTo("S");
        int port = Integer.parseInt(String.valueOf(syn.get("src")).split(":")[1]);
        long isn = ((Number) syn.get("seq")).longValue();
        advance(150);
        assertThat(http.post(base + "/packets", "{\"src\":\"192.168.1.100:80\",\"dst\":\"10.0.0.50:" + port
                + "\",\"flags\":\"S.\",\"seq\":5000,\"ack\":" + (isn + 1) + ",\"mss\":1460}").status()).isEqualTo(200);
        syscall("fcntl", "{\"fd\":4,\"cmd\":\"F_SETFL\",\"flags\":[\"O_RDWR\",\"O_NONBLOCK\"]}");
        assertThat(syscall("read", "{\"fd\":4,\"count\":10}").<String>at("$.errno")).isEqualTo("EAGAIN");
        syscall("fcntl", "{\"fd\":4,\"cmd\":\"F_GETFL\"}");
        syscall("shutdown", "{\"fd\":4,\"how\":\"SHUT_WR\"}");

        String script = passingScript();
        assertThat(script).contains("0.000...0.150 connect(4, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"192.0.2.1\")}, 16) = 0")
                .contains("> S 0:0(0)")
                .as("the ephemeral port is the runner's kernel's choice: lines without ports follow connect()")
                .contains("< S. 5000:5000(0) ack 1 win 65535 <mss 1460>")
                .contains("setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0")
                .contains("fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0")
                .contains("read(4, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)")
                .contains("fcntl(4, F_GETFL) = O_RDWR|O_NONBLOCK")
                .contains("shutdown(4, SHUT_WR) = 0")
                .contains("> F. 1:1(0) ack 1");
    }

    @Test
    void aCallStillBlocked_andASecondPeer_areA422NamingTheirStep_andNothingElseChanges() {
        connect("192.168.1.100", 54321);                                  // steps 5, 6
        assertThat(syscall("accept", "{\"fd\":3}").<Integer>at("$.ret")).isEqualTo(4); // step 7
        assertThat(http.post(base + "/processes/" + pid + "/read?wait=0", "{\"fd\":4,\"count\":10}").status()).isEqualTo(202);
        Http.Reply stillBlocked = exported();                             // step 8 is the read, still asleep
        assertThat(stillBlocked.status()).isEqualTo(422);
        assertThat(stillBlocked.contentType()).startsWith("application/problem+json");
        assertThat(stillBlocked.<String>at("$.detail")).contains("step 8 (read)").contains("had not returned").contains("fork?at=7");
        assertThat(stillBlocked.<String>at("$.field")).isEqualTo("format");

        inject("192.168.1.100", 54321, "P.", 1001, ack("192.168.1.100", 54321), "hi"); // step 9 wakes the read
        assertThat(passingScript()).contains("...0.000 read(4, ..., 10) = 2");

        connect("192.168.1.101", 40000);                                  // step 10: a second peer
        Http.Reply refused = exported();
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.<String>at("$.detail")).contains("step 10 (packet)").contains("192.168.1.101")
                .contains("one remote address").contains("fork?at=9");
        assertThat(http.get(base + "/journal").body().lines().count()).as("the journal itself is untouched").isEqualTo(12);
        assertThat(http.get(base + "/journal?format=nonsense").status()).isEqualTo(400);
    }

}
